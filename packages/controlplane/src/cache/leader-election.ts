// Leader election among control planes sharing one etcd, as etcd's own
// concurrency/election does it (and client-go's leaderelection times it):
// campaign by creating one key attached to a lease; whoever created it leads
// until the key goes (lease expired or revoked); standbys watch the key and
// campaign the moment it is deleted. The term is the key's create revision,
// which grows with every election, and fences the leader's writes
// (fenced-store.ts): a transaction carries "the election key is still at my
// term's revision", so a deposed leader's late write fails in etcd itself.
//
// Step-down comes before expiry: the lease is renewed several times per TTL,
// and a leader that has not had a renewal succeed for renewDeadlineMs (less
// than the TTL) stops its loops on its own. A renewal's time is when it was
// sent, and etcd can only have restarted the TTL after that, so the lease
// outlives our step-down by at least TTL − renew deadline.
//
// Hand-written rather than etcd3's Election: that one lives on the etcd3
// client (only store/ may import it), renews on its own schedule with no
// renew deadline, and cannot run on the MemoryStore the unit tests use.
import { AlreadyExistsError, NotFoundError, messageOf } from '@skiff/api';
import { systemClock, type MemoryStoreClock } from '../store/memory-clock.js';
import type { Store, WatchHandle } from '../store/store.js';
import type { ControllerLogger } from './logger.js';

/** Renewals outstanding at once at most (each a keep-alive of the one lease). */
const MAX_RENEWALS_IN_FLIGHT = 3;

/** Under /skiff/ but the plural of no kind, so no informer lists it. */
export const LEADER_ELECTION_KEY = '/skiff/leader-election/controlplane';

export interface LeaderIdentity {
  /** This instance's name (host name and port, or a flag's value). */
  readonly id: string;
  /** Where agents and clients reach it (host:port of its gRPC API). */
  readonly address: string;
}

/** Who holds the election key, as a standby sees it. */
export interface LeaderRecord extends LeaderIdentity {
  readonly term: number;
}

export interface LeaderElectionOptions {
  readonly store: Store;
  readonly identity: LeaderIdentity;
  /** The lease's TTL (whole seconds in etcd; rounded up). A dead leader is replaced within about this long. */
  readonly leaseDurationMs: number;
  /** A leader with no successful renewal for this long steps down (default 70 % of the lease). */
  readonly renewDeadlineMs?: number;
  /** How often the leader renews and a standby re-checks the key (default a fifth of the lease). */
  readonly retryPeriodMs?: number;
  readonly key?: string;
  readonly clock?: MemoryStoreClock;
  readonly log: ControllerLogger;
  /** This instance now leads `term`: start the leader loops. */
  onStartedLeading(term: number): void | Promise<void>;
  /** The term is over (deposed, lease lost, or stopping): stop the leader loops; resolve once they stopped. */
  onStoppedLeading(term: number): void | Promise<void>;
}

export type LeadershipState =
  | { readonly role: 'leader'; readonly term: number }
  | { readonly role: 'standby'; readonly leader?: LeaderRecord };

export class LeaderElection {
  private readonly key: string;
  private readonly clock: MemoryStoreClock;
  private readonly ttlSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading?: { term: number; lease: string; renewedAt: number };
  private leader?: LeaderRecord;
  private watch?: WatchHandle;
  private timer: unknown;
  private deadline: unknown;
  private renewalsInFlight = 0;
  private stopped = true;
  /** One step of the state machine at a time (campaign, renew, step down). */
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderElectionOptions) {
    this.key = options.key ?? LEADER_ELECTION_KEY;
    this.clock = options.clock ?? systemClock;
    this.ttlSeconds = Math.max(1, Math.ceil(options.leaseDurationMs / 1000));
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.floor(options.leaseDurationMs * 0.7);
    this.retryPeriodMs = options.retryPeriodMs ?? Math.max(50, Math.floor(options.leaseDurationMs / 5));
    if (this.renewDeadlineMs >= this.ttlSeconds * 1000) {
      throw new Error(`leader election: the renew deadline (${this.renewDeadlineMs} ms) must be shorter than the lease (${this.ttlSeconds} s)`);
    }
    if (this.retryPeriodMs >= this.renewDeadlineMs) {
      throw new Error(`leader election: renewals every ${this.retryPeriodMs} ms cannot meet a renew deadline of ${this.renewDeadlineMs} ms`);
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stops campaigning; a leader stops its loops and revokes its lease, so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.deadline);
    await this.watch?.close().catch(() => undefined);
    this.watch = undefined;
    // Not queued behind a step: a renewal may hang while etcd is away.
    const leading = this.leading;
    await this.stepDown('stopping');
    if (leading) await this.options.store.revokeLease(leading.lease).catch(() => undefined);
  }

  get state(): LeadershipState {
    if (this.leading) return { role: 'leader', term: this.leading.term };
    return this.leader ? { role: 'standby', leader: this.leader } : { role: 'standby' };
  }

  /** The current term when leading, else undefined. */
  get term(): number | undefined {
    return this.leading?.term;
  }

  get electionKey(): string {
    return this.key;
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.leading) {
      // Renewals go out on the clock, not one after another: a slow answer
      // (a loaded machine) does not hold up the next, and any success counts.
      void this.renew();
      this.schedule();
      return;
    }
    void this.step(() => this.campaign()).finally(() => this.schedule());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.tick(), this.retryPeriodMs);
  }

  private step(work: () => Promise<void>): Promise<void> {
    const next = this.busy.then(work).catch((error: unknown) => {
      this.options.log.warn({ err: error }, 'leader election step failed');
    });
    this.busy = next;
    return next;
  }

  private async campaign(): Promise<void> {
    const { store } = this.options;
    // A standby's tick is one read while someone leads; the watch reacts to a deletion sooner.
    if (await this.observe()) return;
    const lease = await store.grantLease(this.ttlSeconds);
    const sentAt = this.clock.now();
    let term: number;
    try {
      term = await store.create(this.key, JSON.stringify(this.options.identity), { lease });
    } catch (error) {
      await store.revokeLease(lease).catch(() => undefined);
      if (!(error instanceof AlreadyExistsError)) throw error;
      await this.observe();
      return;
    }
    if (this.stopped) {
      await store.revokeLease(lease).catch(() => undefined);
      return;
    }
    this.leading = { term, lease, renewedAt: sentAt };
    this.leader = { ...this.options.identity, term };
    this.options.log.info({ term, id: this.options.identity.id }, 'acquired leadership');
    this.watchKey(term);
    this.armDeadline();
    // Not awaited: starting the loops must not hold up the renewals.
    void Promise.resolve()
      .then(() => this.options.onStartedLeading(term))
      .catch((error: unknown) => this.options.log.error({ err: error, term }, 'starting the leader loops failed'));
    // The first renewal also tells what TTL etcd actually granted.
    const granted = await store.keepAliveLease(lease).catch(() => undefined);
    if (granted !== undefined && granted > this.ttlSeconds) {
      this.options.log.warn(
        { askedSeconds: this.ttlSeconds, grantedSeconds: granted },
        'etcd granted a longer leader lease than asked (its minimum TTL is 1.5 × its --election-timeout): a dead leader is replaced only after the granted TTL',
      );
    }
  }

  /** A standby: note who leads (false: nobody), and watch the key so its deletion starts a campaign at once. */
  private async observe(): Promise<boolean> {
    const current = await this.options.store.get(this.key);
    if (!current) {
      this.leader = undefined;
      return false;
    }
    const previous = this.leader?.term;
    this.leader = { ...parseIdentity(current.value), term: current.createRevision };
    if (previous !== this.leader.term) {
      this.options.log.info({ leader: this.leader.id, address: this.leader.address, term: this.leader.term }, 'following the leader');
      this.watchKey(current.modRevision);
    }
    return true;
  }

  private watchKey(fromRevision: number): void {
    void this.watch?.close().catch(() => undefined);
    const watchedTerm = this.leader?.term;
    this.watch = this.options.store.watch(this.key, fromRevision, {
      onEvent: (event) => {
        if (event.type !== 'delete' || event.key !== this.key || this.stopped) return;
        if (this.leader?.term !== watchedTerm) return;
        this.leader = undefined;
        // Deleted under a leader (revoked, or etcdctl del): step down. Under a standby: campaign now.
        void this.step(async () => {
          if (this.leading) await this.stepDown('the election key was deleted');
        }).finally(() => this.tick());
      },
      // Missed events only delay us: the periodic tick re-reads the key.
      onCompacted: () => undefined,
      onError: () => undefined,
    });
  }

  private async renew(): Promise<void> {
    const leading = this.leading;
    if (!leading || this.renewalsInFlight >= MAX_RENEWALS_IN_FLIGHT) return;
    const sentAt = this.clock.now();
    this.renewalsInFlight++;
    try {
      await this.options.store.keepAliveLease(leading.lease);
    } catch (error) {
      if (this.leading !== leading) return;
      if (error instanceof NotFoundError) {
        await this.stepDown('the leader lease expired');
        return;
      }
      this.options.log.warn({ err: error, lastRenewalMsAgo: this.clock.now() - leading.renewedAt }, 'leader lease renewal failed');
      return;
    } finally {
      this.renewalsInFlight--;
    }
    // etcd restarted the TTL no earlier than when we sent the renewal.
    if (this.leading === leading && sentAt > leading.renewedAt) {
      leading.renewedAt = sentAt;
      this.armDeadline();
    }
  }

  /**
   * The watchdog: a timer of its own, not a step, because a renewal that
   * hangs (etcd unreachable) must not keep a deposed leader running.
   */
  private armDeadline(): void {
    const leading = this.leading;
    if (!leading) return;
    this.clock.clearTimeout(this.deadline);
    const remaining = leading.renewedAt + this.renewDeadlineMs - this.clock.now();
    this.deadline = this.clock.setTimeout(() => {
      if (this.leading !== leading) return;
      if (this.clock.now() - leading.renewedAt < this.renewDeadlineMs) {
        this.armDeadline();
        return;
      }
      void this.stepDown(`no lease renewal succeeded for ${this.renewDeadlineMs} ms`);
      // Best effort: if etcd hears this, a standby need not wait for the TTL.
      void this.options.store.revokeLease(leading.lease).catch(() => undefined);
    }, Math.max(0, remaining));
  }

  private async stepDown(reason: string): Promise<void> {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    this.leader = undefined;
    this.clock.clearTimeout(this.deadline);
    this.options.log.warn({ term: leading.term, reason }, 'lost leadership; stopping the leader loops');
    try {
      await this.options.onStoppedLeading(leading.term);
    } catch (error) {
      this.options.log.error({ err: error, term: leading.term }, 'stopping the leader loops failed');
    }
  }
}

function parseIdentity(value: string): LeaderIdentity {
  try {
    const parsed = JSON.parse(value) as Partial<LeaderIdentity>;
    return { id: String(parsed.id ?? '?'), address: String(parsed.address ?? '') };
  } catch (error) {
    return { id: `unreadable (${messageOf(error)})`, address: '' };
  }
}

// Kubernetes-style controller expectations, per owner: the pod creates and
// deletes a sync has issued but the informer has not reflected yet.
//
// Why: a sync decides from the informer cache, and the cache learns about the
// controller's own writes only when their watch events arrive. A second sync
// in that window would see too few pods and create duplicates (or delete too
// many). So a sync records what it is about to write *before* writing, the pod
// handlers tick entries off as the events arrive, and the controller does not
// create or delete for that owner until everything is accounted for.
//
// Entries are pod names rather than counts (client-go counts creates and
// tracks deletes by key): a name ticks off exactly once, whatever the order of
// the write's reply and its event, and pods the controller did not create
// cannot satisfy an expectation by accident. The record also names the
// owner's uid, so a Deployment deleted and re-created under the same name
// does not inherit its predecessor's expectations.
//
// A write that failed will never produce an event: the caller lowers the
// expectation itself. As a last resort (an event lost to a bug), expectations
// expire after `timeoutMs` and the controller relies on the cache again.

export interface ExpectationsOptions {
  /** After this long the owner is considered in sync regardless (default 60 s). */
  readonly timeoutMs?: number;
  /** Injected for tests. */
  readonly now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

interface Pending {
  readonly uid: string;
  readonly creates: Set<string>;
  readonly deletes: Set<string>;
  /** When the newest expectation was recorded: the timeout counts from here. */
  since: number;
}

export class Expectations {
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly byOwner = new Map<string, Pending>();

  constructor(options: ExpectationsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** True when the owner may act on the cache: nothing pending, or it expired. */
  satisfied(ownerKey: string, ownerUid: string): boolean {
    const pending = this.byOwner.get(ownerKey);
    if (!pending || pending.uid !== ownerUid) return true;
    if (pending.creates.size === 0 && pending.deletes.size === 0) return true;
    return this.now() - pending.since >= this.timeoutMs;
  }

  /** How long until the owner's pending expectations expire (0 when satisfied). */
  remainingMs(ownerKey: string, ownerUid: string): number {
    if (this.satisfied(ownerKey, ownerUid)) return 0;
    const pending = this.byOwner.get(ownerKey);
    return pending ? Math.max(0, pending.since + this.timeoutMs - this.now()) : 0;
  }

  /** Pods this sync is about to create. Call before issuing the writes. */
  expectCreations(ownerKey: string, ownerUid: string, podNames: Iterable<string>): void {
    const pending = this.recordFor(ownerKey, ownerUid);
    for (const name of podNames) pending.creates.add(name);
  }

  /** Pods this sync is about to delete. Call before issuing the writes. */
  expectDeletions(ownerKey: string, ownerUid: string, podNames: Iterable<string>): void {
    const pending = this.recordFor(ownerKey, ownerUid);
    for (const name of podNames) pending.deletes.add(name);
  }

  /** The informer saw the pod (or the create failed and never will be seen). */
  creationObserved(ownerKey: string, ownerUid: string, podName: string): void {
    const pending = this.byOwner.get(ownerKey);
    if (pending?.uid === ownerUid) pending.creates.delete(podName);
  }

  /** The informer saw the pod go (or the delete failed and never will be seen). */
  deletionObserved(ownerKey: string, ownerUid: string, podName: string): void {
    const pending = this.byOwner.get(ownerKey);
    if (pending?.uid === ownerUid) pending.deletes.delete(podName);
  }

  /** Drops everything recorded for the owner (it was deleted). */
  forget(ownerKey: string): void {
    this.byOwner.delete(ownerKey);
  }

  private recordFor(ownerKey: string, ownerUid: string): Pending {
    let pending = this.byOwner.get(ownerKey);
    const expired = pending !== undefined && this.now() - pending.since >= this.timeoutMs;
    if (!pending || pending.uid !== ownerUid || expired) {
      pending = { uid: ownerUid, creates: new Set(), deletes: new Set(), since: this.now() };
      this.byOwner.set(ownerKey, pending);
    }
    pending.since = this.now();
    return pending;
  }
}

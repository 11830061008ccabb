// Node liveness, held in memory by the control plane that runs the node judge
// (Nomad keeps its heartbeat timers in memory on the leader and persists only
// transitions). A heartbeat is one map write here and nothing in etcd; the
// node lifecycle controller asks this table who is silent, and etcd is
// written only when a node's Ready condition changes.
//
// Also as Nomad does (max_heartbeats_per_second), the interval handed to
// agents grows with the fleet so the control plane answers at most
// maxHeartbeatsPerSecond in all: 500 ms up to 100 nodes at the defaults, 5 s
// at 1,000. Each node's lease keeps the configured ratio to the interval it
// was last told (three heartbeats by default), so one late heartbeat is never
// silence.
//
// Times are this process's own clock (injected; Date.now by default, like the
// node lifecycle controller's), so agents' clocks never matter. A node this
// table has not heard from since it was created counts as heard at creation:
// after a (re)start every node gets a full lease before it can be judged.
// A later leader election makes a new table (or calls reset()) when it takes
// over, which gives every node the same full grace.

export interface LivenessTimings {
  /** The shortest interval agents are told to heartbeat at. */
  readonly heartbeatIntervalMs: number;
  /** The lease at that interval: silent this long means NotReady. Scales with the interval. */
  readonly leaseDurationMs: number;
  /** The fleet's heartbeat rate the control plane is willing to answer; intervals grow past it. */
  readonly maxHeartbeatsPerSecond?: number;
}

export const DEFAULT_MAX_HEARTBEATS_PER_SECOND = 200;

/** What a node is told when it speaks: heartbeat again within the interval; silent past the lease is NotReady. */
export interface HeartbeatTerms {
  readonly heartbeatIntervalMs: number;
  readonly leaseDurationMs: number;
}

interface Heard {
  readonly at: number;
  readonly leaseMs: number;
  readonly intervalMs: number;
}

export class NodeLiveness {
  private readonly heardAt = new Map<string, Heard>();
  private since: number;
  /** Nodes the judge knows of (registered or not yet heard since a restart). */
  private known = 0;

  constructor(
    private readonly timings: LivenessTimings,
    private readonly clock: () => number = Date.now,
  ) {
    this.since = clock();
  }

  /** The node spoke to us now (a heartbeat or a registration); returns the terms to tell it. */
  heard(nodeName: string): HeartbeatTerms {
    const terms = this.terms(this.heardAt.has(nodeName) ? 0 : 1);
    this.heardAt.set(nodeName, { at: this.clock(), leaseMs: terms.leaseDurationMs, intervalMs: terms.heartbeatIntervalMs });
    return terms;
  }

  /** The interval and lease for the fleet as large as it is now. */
  terms(joining = 0): HeartbeatTerms {
    const { heartbeatIntervalMs, leaseDurationMs } = this.timings;
    const perSecond = this.timings.maxHeartbeatsPerSecond ?? DEFAULT_MAX_HEARTBEATS_PER_SECOND;
    const fleet = Math.max(this.heardAt.size + joining, this.known);
    const interval = Math.max(heartbeatIntervalMs, Math.ceil((fleet * 1000) / perSecond));
    return { heartbeatIntervalMs: interval, leaseDurationMs: Math.ceil((leaseDurationMs * interval) / heartbeatIntervalMs) };
  }

  /** Not heard from for longer than the lease it was last given (or, never heard since we started, a full lease from then). */
  isSilent(nodeName: string): boolean {
    const heard = this.heardAt.get(nodeName);
    const leaseMs = heard ? heard.leaseMs : this.terms().leaseDurationMs;
    return this.clock() - (heard?.at ?? this.since) > leaseMs;
  }

  /**
   * Silent for a lease and one more interval: by then every node that stopped
   * at the same moment as this one (a cut between us and the whole fleet) is
   * silent too, whenever in its interval it last spoke, so the judge sees a
   * fleet-wide silence as one before it evicts anything.
   */
  isSilentPastWindow(nodeName: string): boolean {
    const heard = this.heardAt.get(nodeName);
    const terms = heard ? { leaseDurationMs: heard.leaseMs, heartbeatIntervalMs: heard.intervalMs } : this.terms();
    return this.clock() - (heard?.at ?? this.since) > terms.leaseDurationMs + terms.heartbeatIntervalMs;
  }

  /** When the node last spoke to us, or when this table started if it has not since. */
  lastHeard(nodeName: string): number {
    return this.heardAt.get(nodeName)?.at ?? this.since;
  }

  /** Whether the node spoke to us since this table started (a registration or a heartbeat). */
  hasHeard(nodeName: string): boolean {
    return this.heardAt.has(nodeName);
  }

  /** How long since the node last spoke to us (or since the table started). */
  silentForMs(nodeName: string): number {
    return this.clock() - this.lastHeard(nodeName);
  }

  /** The judge's list of nodes: the fleet's size, and nodes that no longer exist leave the table. */
  retainOnly(nodeNames: ReadonlySet<string>): void {
    this.known = nodeNames.size;
    for (const name of this.heardAt.keys()) if (!nodeNames.has(name)) this.heardAt.delete(name);
  }

  /** Forgets everything and starts the grace again (a new leader taking over). */
  reset(): void {
    this.heardAt.clear();
    this.since = this.clock();
  }

  get size(): number {
    return this.heardAt.size;
  }
}

// Node liveness, held in memory by the control plane that runs the node judge
// (Nomad keeps its heartbeat timers in memory on the leader and persists only
// transitions). A heartbeat is one map write here and nothing in etcd; the
// node lifecycle controller reads this table to decide who is silent, and
// etcd is written only when a node's Ready condition changes.
//
// Times are this process's own clock (injected; Date.now by default, like the
// node lifecycle controller's), so agents' clocks never matter. A node this
// table has not heard from since it was created counts as heard at creation:
// after a (re)start every node gets a full lease before it can be judged.
// A later leader election makes a new table (or calls reset()) when it takes
// over, which gives every node the same full grace.

export class NodeLiveness {
  private readonly heardAt = new Map<string, number>();
  private since: number;

  constructor(private readonly clock: () => number = Date.now) {
    this.since = clock();
  }

  /** The node spoke to us (a heartbeat or a registration) now. */
  heard(nodeName: string): void {
    this.heardAt.set(nodeName, this.clock());
  }

  /** When the node last spoke to us, or when this table started if it has not since. */
  lastHeard(nodeName: string): number {
    return this.heardAt.get(nodeName) ?? this.since;
  }

  /** Whether the node spoke to us since this table started (a registration or a heartbeat). */
  hasHeard(nodeName: string): boolean {
    return this.heardAt.has(nodeName);
  }

  /** How long since the node last spoke to us (or since the table started). */
  silentForMs(nodeName: string): number {
    return this.clock() - this.lastHeard(nodeName);
  }

  /** Drops nodes that no longer exist, so a churning fleet does not grow the table. */
  retainOnly(nodeNames: ReadonlySet<string>): void {
    for (const name of this.heardAt.keys()) if (!nodeNames.has(name)) this.heardAt.delete(name);
  }

  /** Forgets everything and starts the grace again (a new leader taking over). */
  reset(): void {
    this.heardAt.clear();
    this.since = this.clock();
  }

  /** The time on this table's clock (for messages and conditions stamped from it). */
  now(): number {
    return this.clock();
  }

  get size(): number {
    return this.heardAt.size;
  }
}

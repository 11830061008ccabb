// MemoryStore's leases, as etcd's lessor keeps them: a TTL (rounded up to
// etcd's minimum), a deadline that each renewal pushes back, and on expiry or
// revocation the deletion of every key attached, in one transaction.
import { leaseExpired } from './store-rules.js';
import type { MemoryStoreClock } from './memory-clock.js';
import type { MemoryKeyspace } from './memory-keyspace.js';

/**
 * etcd's minimum TTL with its default --heartbeat-interval (100 ms) and
 * --election-timeout (1 s): ⌈1.5 × election timeout⌉ = 2 s. Shorter leases
 * are granted this long.
 */
export const ETCD_MIN_LEASE_TTL_SECONDS = 2;
/** etcd's MaxLeaseTTL: a longer lease is refused. */
const ETCD_MAX_LEASE_TTL_SECONDS = 9_000_000_000;
/**
 * Lease ids are int64s as etcd's are: a member prefix in the high bits puts
 * them beyond Number's precision, so code that parses an id as a number fails
 * here as it would against etcd.
 */
const FIRST_LEASE_ID = 0x694d_1f2e_0000_0001n;

interface Lease {
  readonly ttlMs: number;
  deadline: number;
  timer: unknown;
}

export class MemoryLeases {
  private readonly leases = new Map<string, Lease>();
  private nextId = FIRST_LEASE_ID;

  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly clock: MemoryStoreClock,
    private readonly minTtlSeconds: number,
  ) {}

  grant(ttlSeconds: number): string {
    if (ttlSeconds > ETCD_MAX_LEASE_TTL_SECONDS) {
      throw new Error(`grantLease on the memory store failed: too large lease TTL (etcd's limit is ${ETCD_MAX_LEASE_TTL_SECONDS} s)`);
    }
    const id = String(this.nextId++);
    const lease: Lease = { ttlMs: Math.max(ttlSeconds, this.minTtlSeconds) * 1000, deadline: 0, timer: undefined };
    this.leases.set(id, lease);
    this.renew(id, lease);
    return id;
  }

  /** Whether `lease` (a valid id; "0" is none) is live. */
  exists(lease: string): boolean {
    return this.leases.has(canonicalLease(lease));
  }

  /** Renews `lease`; returns its TTL in seconds as granted (at least the minimum). */
  keepAlive(lease: string): number {
    const id = canonicalLease(lease);
    const current = this.leases.get(id);
    if (!current) throw leaseExpired(lease);
    this.renew(id, current);
    return current.ttlMs / 1000;
  }

  /** Idempotent: revoking an expired or already revoked lease succeeds. */
  revoke(lease: string): void {
    const id = canonicalLease(lease);
    const current = this.leases.get(id);
    if (!current) return;
    this.clock.clearTimeout(current.timer);
    this.leases.delete(id);
    this.keyspace.apply(this.keyspace.keysWithLease(id).map((key) => ({ type: 'delete', key })));
  }

  /**
   * Revokes every lease whose deadline has passed. The store calls this before
   * each operation too, so a test that only moves `now` sees expiry as soon as
   * it next touches the store (etcd's lessor notices within half a second).
   */
  expireDue(): void {
    const now = this.clock.now();
    for (const [id, lease] of [...this.leases]) if (lease.deadline <= now) this.revoke(id);
  }

  close(): void {
    for (const lease of this.leases.values()) this.clock.clearTimeout(lease.timer);
  }

  private renew(id: string, lease: Lease): void {
    lease.deadline = this.clock.now() + lease.ttlMs;
    this.arm(id, lease);
  }

  private arm(id: string, lease: Lease): void {
    this.clock.clearTimeout(lease.timer);
    lease.timer = this.clock.setTimeout(
      () => {
        if (this.leases.get(id) !== lease) return;
        if (lease.deadline <= this.clock.now()) this.revoke(id);
        // A clock whose `now` lags its timers: look again when the lease is due by `now`.
        else this.arm(id, lease);
      },
      Math.max(0, lease.deadline - this.clock.now()),
    );
  }
}

/** The lease a valid id names, as etcd parses it: "007" is lease 7 (and "0" no lease). */
export function canonicalLease(lease: string): string {
  return BigInt(lease).toString();
}

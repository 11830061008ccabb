// Every retry loop in Skiff waits by one rule: the n-th consecutive failure
// waits initial·factor^n, capped at max, optionally jittered. The loops differ
// in shape (a per-key work queue, a stream that reconnects, a read-modify-write
// retry), so what they share is the schedule, named here by purpose: tuning a
// policy changes it in one place. A retry library (p-retry, exponential-backoff)
// owns the loop too, which fits none of the queue- or stream-shaped ones.

export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  readonly initialMs: number;
  /** Cap on any delay, in ms. */
  readonly maxMs: number;
  /** Growth per consecutive failure (default 2). */
  readonly factor?: number;
  /**
   * Fraction of the delay drawn at random, so many clients that failed
   * together do not retry in lockstep: the delay lies in [d·(1−jitter), d].
   */
  readonly jitter?: number;
}

export const BACKOFF = {
  /** A controller's failed sync of one key (client-go's item rate limiter). */
  workQueue: { initialMs: 5, maxMs: 30_000 },
  /** An informer's list or watch failed: relist. */
  informerRelist: { initialMs: 100, maxMs: 5_000, jitter: 0.25 },
  /** The store's watch stream to etcd broke: resume it. */
  storeWatch: { initialMs: 50, maxMs: 2_000 },
  /** The control plane's start waits for etcd. */
  storeStartup: { initialMs: 200, maxMs: 2_000 },
  /** A compare-and-swap lost a race: re-read and try again, spread out. */
  conflict: { initialMs: 2, maxMs: 50, jitter: 1 },
  /**
   * A container that exited is restarted (CrashLoopBackOff). Kubelet waits 10 s
   * doubling to 5 min; Skiff restarts sooner, so a crash loop shows quickly.
   */
  containerRestart: { initialMs: 1_000, maxMs: 60_000 },
  /** The agent's assignment stream to the control plane broke: reconnect. */
  assignmentStream: { initialMs: 100, maxMs: 2_000 },
  /** The agent's registration or heartbeat failed. */
  nodeSession: { initialMs: 200, maxMs: 5_000 },
} as const satisfies Record<string, BackoffPolicy>;

/** The delay after the `failures`-th consecutive failure (1 = the first). */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  // Clamp the exponent: factor^n reaches Infinity long after it passed any cap.
  const exponent = Math.min(Math.max(failures - 1, 0), 64);
  const delay = Math.min(policy.initialMs * factor ** exponent, policy.maxMs);
  const jitter = policy.jitter ?? 0;
  return jitter > 0 ? delay * (1 - jitter * random()) : delay;
}

/** Consecutive failures of one loop, and the delay each one earns. */
export class Backoff {
  private failures = 0;
  constructor(
    readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Counts a failure and returns how long to wait before the next try. */
  next(): number {
    this.failures += 1;
    return backoffDelay(this.policy, this.failures, this.random);
  }

  /** The loop succeeded: the next failure starts from the initial delay. */
  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

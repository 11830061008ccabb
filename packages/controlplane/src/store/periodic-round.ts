// A round of work run every interval, one round at a time: the loop the
// Compactor and the StoreMaintainer share. start() runs a round at once and
// then every interval; tick() runs one now, joining a round already under way
// rather than doubling it; stop() clears the timer and waits for the round in
// flight. The timers are injectable so that unit tests drive rounds by hand.

export interface PeriodicTimers {
  /** Injected timers, for tests. */
  readonly setInterval?: (run: () => void, ms: number) => { unref?(): void };
  readonly clearInterval?: (handle: unknown) => void;
}

export interface PeriodicRoundOptions extends PeriodicTimers {
  readonly intervalMs: number;
  /** One round's work; it handles its own errors (a rejection only ends that round). */
  readonly round: () => Promise<void>;
}

export class PeriodicRound {
  private handle: unknown;
  private running: Promise<void> | undefined;

  constructor(private readonly options: PeriodicRoundOptions) {}

  start(): void {
    const schedule = this.options.setInterval ?? ((run, ms) => setInterval(run, ms));
    const handle = schedule(() => void this.tick(), this.options.intervalMs);
    handle.unref?.();
    this.handle = handle;
    void this.tick();
  }

  async stop(): Promise<void> {
    (this.options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(this.handle);
    await this.running;
  }

  /** One round now; a round already under way is joined, not doubled. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.options.round().finally(() => (this.running = undefined));
    return this.running;
  }
}

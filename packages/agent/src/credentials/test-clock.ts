// A clock for tests of timing (certificate renewal): time moves only when the
// test says so. Lives beside the code so the agent's tests share one.
import type { Clock } from './certificate-renewer.js';

/** Time that moves only when the test says so; due timers fire in order. */
export class FakeClock implements Clock {
  private timers: { at: number; callback: () => void }[] = [];
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((t) => t !== timer));
  }
  /** Moves to `time`, firing every timer due by then. */
  advanceTo(time: number): void {
    this.time = Math.max(this.time, time);
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.callback();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

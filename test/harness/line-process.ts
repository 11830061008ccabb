// A child process whose every output line is handed to a callback as it
// arrives (ManagedProcess keeps only the last 200 lines; a traffic or watch
// stream of a whole rollout is longer). stop() ends it — SIGTERM, then SIGKILL
// — and a process that exits the test process early is killed on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class LineProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly tail: string[] = [];

  constructor(
    readonly name: string,
    command: { command: string; args: string[] },
    onLine: (line: string) => void,
  ) {
    this.child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    void this.exited.then(() => live.delete(this.child));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
        onLine(line);
      });
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls `condition` until true; rejects quoting the last lines on timeout or if the process exits. */
  async waitFor(condition: () => boolean, timeoutMs: number, description: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (!this.running) throw new Error(`${this.name} exited before ${description}:\n${this.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}:\n${this.tail.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

// Child processes for tests (etcd, the control plane, agents) with the two
// properties a test suite needs: their recent output is at hand for failure
// messages, and none of them outlives the test process, however it ends.
import { spawn, type ChildProcess } from 'node:child_process';

const MAX_LINES = 200;
/** After exit, how long to wait for the rest of the output to arrive. */
const PIPE_DRAIN_MS = 5_000; // generous: a loaded CI machine can be slow to deliver the last chunks

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  command: string;
  args: string[];
  /** Merged over the test process's environment (set a key to undefined to drop it). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Short label used in error messages and output: "etcd", "agent-1". */
  name: string;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** The last ~200 lines of stdout and stderr, interleaved in arrival order. */
  output(): string;
  /**
   * Resolves with the match of the first line (stdout or stderr) matching
   * `regex`, looking at the retained output first so a line printed before the
   * call is not missed. Rejects, quoting the output, on timeout or if the
   * process exits first.
   */
  waitForLine(regex: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** SIGKILL now (a crash, as far as the process can tell); resolves when it is gone. */
  kill9(): Promise<ProcessExit>;
}

// Every live child, so the exit/signal hooks below can kill them. Module-level
// on purpose: a test that forgets stop() must not leak a process into the next
// run (or hold its ports).
const live = new Set<ChildProcess>();
// Synchronous clean-ups (e.g. removing an etcd's temp data dir) that must run
// after the children are dead, on exit and on SIGINT/SIGTERM alike.
const cleanups = new Set<() => void>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to clean up.
    }
  }
  live.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the test process is going away.
    }
  }
  cleanups.clear();
}

/**
 * Testkit-internal: runs `cleanup` (synchronously) if the test process exits
 * or is interrupted before the returned function is called to cancel it.
 */
export function onAbnormalExit(cleanup: () => void): () => void {
  installHooks();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: kill() is, which is all we need.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // A program that handles the signal itself (the dev cluster stops its
      // processes gracefully) owns the clean-up; the exit hook stays as a net.
      if (process.listenerCount(signal) > 1) return;
      killAllNow();
      process.removeListener(signal, onSignal);
      // Listening for a signal disables Node's default "exit on signal". If
      // nobody else (e.g. the test runner) handles it, re-raise it so the test
      // process still dies of it, with the usual exit status.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

class Managed implements ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  private readonly lines: string[] = [];
  private readonly partial = { stdout: '', stderr: '' };
  private readonly lineListeners = new Set<(line: string) => void>();
  private stopping: Promise<ProcessExit> | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: failed to spawn`);
    this.pid = child.pid;
    // 'exit' can come before the last output has been read from the pipes;
    // wait for them to close too, so output() is complete once `exited`
    // resolves. Bounded, because a grandchild may hold the pipes open.
    const drained = Promise.all(
      [child.stdout, child.stderr].map((stream) =>
        stream ? new Promise<void>((resolve) => stream.once('close', resolve)) : Promise.resolve(),
      ),
    );
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((done) => {
          timer = setTimeout(done, PIPE_DRAIN_MS);
        });
        void Promise.race([drained, grace]).then(() => {
          clearTimeout(timer);
          this.flushPartials();
          resolve({ code, signal });
        });
      });
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onChunk('stdout', chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.onChunk('stderr', chunk));
    // A spawn error after the pid is known (rare) must not crash the test process.
    child.on('error', (error) => this.pushLine(`[${name}: ${error.message}]`));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    const pending = [this.partial.stdout, this.partial.stderr].filter((text) => text.length > 0);
    return [...this.lines, ...pending].join('\n');
  }

  waitForLine(regex: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    // A global/sticky regex keeps lastIndex between calls: match with a clean copy.
    const pattern = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.lineListeners.delete(onLine);
      };
      const onLine = (line: string): void => {
        const match = line.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no line matching ${String(regex)} within ${timeoutMs} ms; output:\n${this.output()}`));
      }, timeoutMs);
      this.lineListeners.add(onLine);
      void this.exited.then((exit) => {
        if (!this.lineListeners.has(onLine)) return;
        cleanup();
        reject(
          new Error(
            `${this.name}: exited (${describeExit(exit)}) before printing a line matching ${String(regex)}; output:\n${this.output()}`,
          ),
        );
      });
    });
  }

  stop(graceMs = 5000): Promise<ProcessExit> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      if (!this.running) return this.exited;
      this.signal('SIGTERM');
      const escalate = setTimeout(() => this.signal('SIGKILL'), graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(escalate);
      }
    })();
    return this.stopping;
  }

  kill9(): Promise<ProcessExit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // Exited between the check and the kill: the exit handler covers it.
    }
  }

  private onChunk(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.partial[stream] + chunk;
    const parts = text.split(/\r?\n/);
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.pushLine(line);
  }

  private flushPartials(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream].length > 0) {
        this.pushLine(this.partial[stream]);
        this.partial[stream] = '';
      }
    }
  }

  private pushLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    for (const listener of [...this.lineListeners]) listener(line);
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}

/**
 * Spawns `command` with piped stdout/stderr. The child stays in the test
 * process's process group (no `detached`), so killing the test run's group
 * also reaches it; signals from stop()/kill9() go to the child alone, so a
 * test can crash one process without touching what it spawned itself.
 */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  installHooks();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    // spawn() reports ENOENT/EACCES asynchronously; swallow that event (we
    // throw now instead) so it cannot surface as an unhandled 'error'.
    child.once('error', () => undefined);
    throw new Error(`${options.name}: could not start ${options.command} (not found or not executable)`);
  }
  live.add(child);
  return new Managed(options.name, child);
}

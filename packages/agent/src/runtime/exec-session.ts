// One command run for `ctl exec`, by whichever driver: a host process (runc
// exec, or for the process driver the command itself) with either plain pipes
// or a real pseudo-terminal. With a terminal, node-pty gives the process a
// pty as its controlling terminal, so a resize reaches it as SIGWINCH (runc
// then resizes the container's own console to match, see runc-exec.ts).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as NodePty from 'node-pty';

// node-pty (a native addon, about 3 MB resident) loads with the first
// terminal exec, not with the agent: most agents never run one. require, not
// import(), because startExecSession is synchronous; node-pty is CommonJS.
const requireFromHere = createRequire(import.meta.url);
let ptyModule: typeof NodePty | undefined;
function nodePty(): typeof NodePty {
  ptyModule ??= requireFromHere('node-pty') as typeof NodePty;
  return ptyModule;
}

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** What exec asks of a driver. */
export interface ExecOptions {
  readonly command: readonly string[];
  /** Forward stdin; without it the command's stdin is empty (/dev/null, or a terminal nobody types on). */
  readonly stdin: boolean;
  readonly tty: boolean;
  /** Tty only. */
  readonly terminalSize: TerminalSize;
  /** Output as it comes; with a tty all of it is 'stdout', as kubectl shows it. */
  readonly onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  /** How messages name the container ("container main of pod shop/web"); default its id. */
  readonly containerName?: string;
}

/** A running exec; `exited` resolves with the exit code (128 + N after signal N) once all output was delivered. */
export interface ExecSession {
  /** Input for the command; false: its buffer is full, wait for onDrain before writing more. */
  write(data: Buffer): boolean;
  /** Calls `listener` once the input written so far has gone to the command. */
  onDrain(listener: () => void): void;
  /** Stops reading the command's output (the caller cannot take more yet), and starts again. */
  pauseOutput(): void;
  resumeOutput(): void;
  /** End of input: EOF on the pipe; on a terminal, the EOF character (^D), as a person would type it. */
  closeStdin(): void;
  resize(size: TerminalSize): void;
  /**
   * Ends the command (the caller left): a hang-up, as when a terminal goes
   * away (runc forwards it to the command; SIGKILL it could not), then
   * SIGKILL a few seconds later if it is still there.
   */
  kill(): void;
  readonly exited: Promise<number>;
}

export interface HostCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

const EOT = Buffer.from([4]);
const KILL_AFTER_HANGUP_MS = 5_000;

export function startExecSession(command: HostCommand, options: ExecOptions): ExecSession {
  const started = options.tty ? startOnTerminal(command, options) : startOnPipes(command, options);
  let finished = false;
  void started.exited.then(
    () => (finished = true),
    () => (finished = true),
  );
  return {
    write: started.write,
    onDrain: started.onDrain,
    pauseOutput: started.pauseOutput,
    resumeOutput: started.resumeOutput,
    closeStdin: started.closeStdin,
    resize: started.resize,
    kill: () => {
      if (finished) return;
      started.signal('SIGHUP');
      const timer = setTimeout(() => finished || started.signal('SIGKILL'), KILL_AFTER_HANGUP_MS);
      timer.unref();
    },
    exited: started.exited,
  };
}

interface Started extends Omit<ExecSession, 'kill'> {
  signal(signal: 'SIGHUP' | 'SIGKILL'): void;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | number | null | undefined): number {
  if (code !== null && (signal === null || signal === undefined || signal === 0)) return code;
  const number = typeof signal === 'number' ? signal : signal ? constants.signals[signal] : undefined;
  return number ? 128 + number : (code ?? 1);
}

function startOnPipes(command: HostCommand, options: ExecOptions): Started {
  const child = spawn(command.file, [...command.args], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...command.env },
    cwd: command.cwd,
  });
  child.stdout?.on('data', (chunk: Buffer) => options.onOutput('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => options.onOutput('stderr', chunk));
  // The command may stop reading (or exit) while input still arrives: not an error of ours.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    // 'close', not 'exit': both output pipes are drained by then.
    child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  return {
    write: (data) => child.stdin?.write(data) ?? true,
    onDrain: (listener) => (child.stdin ? child.stdin.once('drain', listener) : listener()),
    pauseOutput: () => {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resumeOutput: () => {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    closeStdin: () => void child.stdin?.end(),
    resize: () => undefined,
    signal: (signal) => void child.kill(signal),
    exited,
  };
}

function startOnTerminal(command: HostCommand, options: ExecOptions): Started {
  const terminal = nodePty().spawn(command.file, [...command.args], {
    name: 'xterm',
    cols: options.terminalSize.width,
    rows: options.terminalSize.height,
    cwd: command.cwd,
    env: { ...command.env },
    // Raw bytes both ways: output is not decoded (a UTF-8 sequence may span two reads).
    encoding: null,
  });
  // With encoding null node-pty hands out Buffers, whatever its typings say.
  terminal.onData((data: string | Buffer) => options.onOutput('stdout', typeof data === 'string' ? Buffer.from(data) : data));
  let done = false;
  const exited = new Promise<number>((resolve) => {
    terminal.onExit(({ exitCode, signal }) => {
      done = true;
      resolve(exitCodeOf(exitCode, signal));
    });
  });
  return {
    // node-pty queues what the pty cannot take yet, and tells nothing of it.
    write: (data) => {
      if (options.stdin && !done) terminal.write(data);
      return true;
    },
    onDrain: (listener) => listener(),
    pauseOutput: () => {
      if (!done) terminal.pause();
    },
    resumeOutput: () => {
      if (!done) terminal.resume();
    },
    closeStdin: () => {
      if (options.stdin && !done) terminal.write(EOT);
    },
    resize: (size) => {
      if (!done) terminal.resize(size.width, size.height);
    },
    signal: (signal) => {
      if (!done) terminal.kill(signal);
    },
    exited,
  };
}

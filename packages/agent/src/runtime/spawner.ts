// Starts the agent's short-lived commands (runc, mount, conmon, ip) through
// one small long-lived helper process instead of child_process.
//
// Why: libuv starts a child with fork(), and the agent's one thread waits
// until the child has exec'd. Forking an 80 MB Node process copies its page
// tables (1.5–3.5 ms of CPU), and on a busy host the child then waits to be
// scheduled: in bench:runtime's profile of a 50-pod scale-up, the main thread
// spent 2.0 s of 10.3 s inside ChildProcess.spawn (four spawns a pod), time in
// which no other pod's step could run. The helper (spawner-script.ts, perl,
// about 4 MB) forks cheaply, and the agent only writes a request to a pipe.
//
// Requests and their answers are matched by id; a helper that dies fails the
// commands in flight and the next call starts a new one. Without perl the
// calls fall back to child_process, as before.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { SPAWNER_SCRIPT } from './spawner-script.js';

export interface SpawnRequest {
  readonly file: string;
  readonly args: readonly string[];
  /** The complete environment; default the agent's environment when the helper started. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to the command's stdin (at most 64 KiB); stdin is /dev/null otherwise. */
  readonly input?: string;
  /** 'capture' (default): stdout and stderr are returned; else both are appended to this file (or /dev/null: 'ignore'). */
  readonly output?: 'capture' | 'ignore' | { readonly appendTo: string };
  /** In a session of its own (setsid), like spawn's `detached`: for monitors that outlive the agent. */
  readonly detached?: boolean;
  /** SIGKILL after this long (whole seconds are what the helper checks); default none. */
  readonly timeoutMs?: number;
}

export interface SpawnResult {
  /** Exit code, or null when the command was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that could not be started at all; `code` is the errno's name (ENOENT…), as child_process reports it. */
export class SpawnError extends Error {
  override readonly name = 'SpawnError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a stdin payload may weigh: the helper writes it into a pipe before the fork, so it must fit. */
const MAX_INPUT_BYTES = 65_536;
const FLAG_SETSID = 1;
const FLAG_ENV = 2;
const FLAG_CAPTURE = 4;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

interface Pending {
  resolve(result: SpawnResult): void;
  reject(error: Error): void;
}

export class Spawner {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer: Buffer = Buffer.alloc(0);
  private dead: Error | undefined;

  constructor(perl = 'perl') {
    this.child = spawn(perl, ['-e', SPAWNER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    // The helper must not keep the agent (or a test) alive; it ends by itself once its stdin closes.
    this.child.unref();
    const stdin = this.child.stdin;
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    // Only commands in flight keep the event loop alive (see hold()).
    this.pipe()?.unref();
    (stdin as Socket | null)?.unref();
    stdin?.on('error', (error: Error) => this.fail(error));
    this.child.on('error', (error) => this.fail(error));
    this.child.on('exit', (code, signal) => this.fail(new Error(`the spawner helper ended (${signal ?? `exit ${code}`})`)));
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** The helper's pid (for tests and the benchmark's memory figures). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  run(request: SpawnRequest): Promise<SpawnResult> {
    if (this.dead) return Promise.reject(this.dead);
    const input = Buffer.from(request.input ?? '', 'utf8');
    if (input.length > MAX_INPUT_BYTES) return Promise.reject(new Error(`stdin for ${request.file} is ${input.length} bytes; at most ${MAX_INPUT_BYTES}`));
    const output = request.output ?? 'capture';
    const env = request.env === undefined ? undefined : Object.entries(request.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const fields = [
      Buffer.from(request.cwd ?? '', 'utf8'),
      input,
      Buffer.from(typeof output === 'object' ? output.appendTo : '', 'utf8'),
      ...[request.file, ...request.args].map((a) => Buffer.from(a, 'utf8')),
      ...(env ?? []).map((e) => Buffer.from(e, 'utf8')),
    ];
    for (const field of [request.file, ...request.args, ...(env ?? [])]) {
      if (field.includes('\0')) return Promise.reject(new Error(`an argument or variable of ${request.file} contains a NUL byte`));
    }
    const flags = (request.detached ? FLAG_SETSID : 0) | (env ? FLAG_ENV : 0) | (output === 'capture' ? FLAG_CAPTURE : 0);
    const id = this.nextId++;
    const header = [id, flags, Math.max(0, Math.ceil(request.timeoutMs ?? 0)), 1 + request.args.length, env?.length ?? 0, ...fields.map((f) => f.length)].join(' ');
    return new Promise<SpawnResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.pipe()?.ref();
      this.child.stdin?.write(Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), ...fields]));
    });
  }

  /** Ends the helper (commands in flight are failed; the processes they started go on). */
  close(): void {
    this.child.stdin?.end();
    this.fail(new Error('the spawner was closed'));
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const [id, code, signal, outLength, errLength] = this.buffer.subarray(0, newline).toString('latin1').split(' ');
      const stdoutEnd = newline + 1 + Number(outLength);
      const end = stdoutEnd + Number(errLength);
      if (this.buffer.length < end) return;
      const stdout = this.buffer.subarray(newline + 1, stdoutEnd).toString('utf8');
      const stderr = this.buffer.subarray(stdoutEnd, end).toString('utf8');
      this.buffer = this.buffer.subarray(end);
      const pending = this.pending.get(Number(id));
      if (!pending) continue;
      this.pending.delete(Number(id));
      if (this.pending.size === 0) this.pipe()?.unref();
      if (code === '-1') {
        pending.reject(new SpawnError(stdout.trim(), `${stderr.trim()}`));
      } else {
        const exited = code === 'null' ? null : Number(code);
        pending.resolve({ code: exited, signal: exited === null ? (SIGNAL_NAMES.get(Number(signal)) ?? 'SIGKILL') : null, stdout, stderr });
      }
    }
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.pipe()?.unref();
  }

  /** The answers' pipe: referenced while commands are in flight, so awaiting one keeps the process alive. */
  private pipe(): Socket | null {
    return this.child.stdout as Socket | null;
  }
}

let shared: Spawner | undefined;
let perlMissing = false;

/**
 * Runs a command through the agent's spawner helper, started on first use and
 * again if it died; through child_process when perl cannot be started (or
 * with SKIFF_SPAWNER=off, for comparisons).
 */
export async function spawnCommand(request: SpawnRequest): Promise<SpawnResult> {
  if (perlMissing || process.env['SKIFF_SPAWNER'] === 'off') return spawnDirect(request);
  if (!shared?.alive) shared = new Spawner();
  try {
    return await shared.run(request);
  } catch (error) {
    // perl itself could not be started: child_process from now on. A helper
    // that died with commands in flight fails them (they may have run, so
    // they are not run again here); the next call starts a new helper.
    if (!(error instanceof SpawnError) && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      perlMissing = true;
      return spawnDirect(request);
    }
    throw error;
  }
}

/** The pid of the shared helper, if one runs. */
export function spawnerPid(): number | undefined {
  return shared?.alive ? shared.pid : undefined;
}

/** The same through child_process (fork of the agent): the fallback. */
export function spawnDirect(request: SpawnRequest): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const output = request.output ?? 'capture';
    const input = request.input !== undefined;
    let outFd: number | undefined;
    const stdio = output === 'capture' ? (['pipe', 'pipe'] as const) : output === 'ignore' ? (['ignore', 'ignore'] as const) : undefined;
    const child = spawn(request.file, [...request.args], {
      ...(request.cwd ? { cwd: request.cwd } : {}),
      env: request.env ?? process.env,
      detached: request.detached ?? false,
      stdio: [input ? 'pipe' : 'ignore', ...(stdio ?? ([(outFd = openAppend(output)), outFd] as const))],
    });
    if (outFd !== undefined) closeQuietly(outFd);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request.input ?? '');
    const timer = request.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), request.timeoutMs) : undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SpawnError(error.code ?? 'EIO', error.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

function openAppend(output: 'capture' | 'ignore' | { readonly appendTo: string }): number {
  return openSync(typeof output === 'object' ? output.appendTo : '/dev/null', 'a', 0o600);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

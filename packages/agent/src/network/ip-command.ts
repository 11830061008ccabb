// Runs iproute2's `ip` with an argument array (never through a shell, so pod
// uids and device names can't inject anything) and turns its failures into
// errors that say which command failed, what it printed and what to do about it.

import { execFile, type ExecFileException } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The binary; iproute2 is one of the Debian packages every host installs (README, "Two commands"). */
const IP_BINARY = 'ip';
const BRIDGE_BINARY = 'bridge';
const DEFAULT_TIMEOUT_MS = 15_000;

export interface RunIpOptions {
  /** Kill `ip` after this long (default 15 s): a wedged netlink call must not hang an attach forever. */
  readonly timeoutMs?: number;
  /** Written to ip's stdin (a batch script); stdin is empty otherwise. */
  readonly input?: string;
}

export class IpCommandError extends Error {
  override readonly name = 'IpCommandError';

  constructor(
    readonly args: readonly string[],
    /** Exit status, or undefined if `ip` could not be started or was killed. */
    readonly exitCode: number | undefined,
    /** What `ip` wrote to stderr, trimmed (the kernel's reason, e.g. "File exists"). */
    readonly stderr: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs `ip ...args` and resolves with its stdout; rejects with an IpCommandError. */
export function runIp(args: readonly string[], options: RunIpOptions = {}): Promise<string> {
  return runIproute2(IP_BINARY, args, options);
}

/** Runs iproute2's `bridge ...args` (its `fdb` subcommand programs the VXLAN forwarding database). */
export function runBridge(args: readonly string[], options: RunIpOptions = {}): Promise<string> {
  return runIproute2(BRIDGE_BINARY, args, options);
}

/** Runs `bridge -json ...args` and parses its output; the caller narrows the `unknown`. */
export async function runBridgeJson(args: readonly string[], options: RunIpOptions = {}): Promise<unknown> {
  return parseJsonOutput(BRIDGE_BINARY, args, await runBridge(['-json', ...args], options));
}

function runIproute2(binary: string, args: readonly string[], options: RunIpOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      binary,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        // The error classification below matches English kernel/iproute2 messages.
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        reject(toIpCommandError(binary, args, error, stderr, timeoutMs));
      },
    );
    // An ip that fails early closes its stdin: the write error is the exit's to report.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** One line of an `ip -batch` script, and what it does (for the error message). */
export interface IpBatchLine {
  readonly args: readonly string[];
  readonly what: string;
}

/** A batch stopped at one of its lines; `line` is its index (0-based) into the lines given. */
export class IpBatchError extends IpCommandError {
  constructor(
    args: readonly string[],
    exitCode: number | undefined,
    stderr: string,
    message: string,
    readonly line: number,
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(args, exitCode, stderr, message, options);
  }
}

/** Lines a batch runs last, inside a network namespace, through one `netns exec NS ip -batch FILE` that ip forks itself. */
export interface IpBatchInNetns {
  readonly netns: string;
  readonly lines: readonly IpBatchLine[];
  /** A directory of the agent's own for the script file (made 0700 if missing); the file is removed afterwards. */
  readonly scriptDir: string;
}

let scriptCount = 0;

/**
 * Runs several `ip` commands in one process (`ip [-netns NS] -batch -`): a
 * pod's network used to cost eight `ip` processes, each a fork of the agent.
 * Without -force, ip stops at the first failing line and names it
 * ("Command failed -:N"): the IpBatchError says which line and what it was for.
 * `inNetns` lines follow inside a namespace, all in one forked `ip -batch`
 * (its script in a file: a pipe's end cannot be opened by name, and stdin is
 * the outer ip's) rather than one `netns exec` line each — each such line is
 * a fork and exec of ip and a copy of the host's mount table; their index in
 * an error counts on from the last of `lines`.
 * Arguments must not contain whitespace or quotes (device names, addresses,
 * namespace names, checked here): batch lines are split on blanks.
 */
export async function runIpBatch(
  lines: readonly IpBatchLine[],
  options: RunIpOptions & { readonly netns?: string; readonly inNetns?: IpBatchInNetns } = {},
): Promise<void> {
  const inner = options.inNetns;
  const all = [...lines, ...(inner?.lines ?? [])];
  for (const line of all) {
    for (const arg of line.args) {
      if (arg === '' || /[\s"'\\#]/.test(arg)) throw new Error(`ip batch argument ${JSON.stringify(arg)} (${line.what}) cannot be put on a batch line`);
    }
  }
  if (inner !== undefined && /[\s"'\\#]/.test(inner.netns)) throw new Error(`ip batch namespace ${JSON.stringify(inner.netns)} cannot be put on a batch line`);
  const globalArgs = [...(options.netns !== undefined ? ['-netns', options.netns] : []), '-batch', '-'];
  const scriptOf = (batch: readonly IpBatchLine[]): string => batch.map((line) => `${line.args.join(' ')}\n`).join('');
  let innerPath: string | undefined;
  if (inner && inner.lines.length > 0) {
    const path = join(inner.scriptDir, `${inner.netns}.${process.pid}.${(scriptCount += 1)}.batch`);
    if (/[\s"'\\#]/.test(path)) throw new Error(`ip batch script path ${JSON.stringify(path)} cannot be put on a batch line`);
    const write = (): Promise<void> => writeFile(path, scriptOf(inner.lines), { mode: 0o600, flag: 'wx' });
    // The directory is made on the first attach (and again if something removed it).
    await write().catch(async (error: unknown) => {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      await mkdir(inner.scriptDir, { recursive: true, mode: 0o700 });
      await write();
    });
    innerPath = path;
  }
  const script = scriptOf(lines) + (inner && innerPath !== undefined ? `netns exec ${inner.netns} ${IP_BINARY} -batch ${innerPath}\n` : '');
  try {
    await runIp(globalArgs, { ...options, input: script });
  } catch (error) {
    if (!(error instanceof IpCommandError) || error.exitCode === undefined) throw error;
    // The inner ip names its own line; the outer one then names its `netns exec` line.
    const failedInner = innerPath === undefined ? null : new RegExp(`Command failed ${escapeRegExp(innerPath)}:(\\d+)`).exec(error.stderr);
    const failed = /Command failed -:(\d+)/.exec(error.stderr);
    const index = failedInner ? lines.length + Number(failedInner[1]) - 1 : failed ? Number(failed[1]) - 1 : -1;
    const line = all[index];
    if (line === undefined) throw error;
    const reason = error.stderr.replace(/\s*Command failed \S+:\d+\s*/g, ' ').trim();
    const netns = index >= lines.length ? inner?.netns : options.netns;
    const command = `ip ${netns !== undefined ? `-netns ${netns} ` : ''}${line.args.join(' ')}`;
    const hint = hintFor(reason);
    throw new IpBatchError(line.args, error.exitCode, reason, `${line.what}: ${command} failed: ${reason || error.message}${hint === '' ? '' : `; ${hint}`}`, index, line.what, {
      cause: error,
    });
  } finally {
    if (innerPath !== undefined) await rm(innerPath, { force: true });
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs `ip -json ...args` and parses its output; the caller narrows the `unknown`. */
export async function runIpJson(args: readonly string[], options: RunIpOptions = {}): Promise<unknown> {
  return parseJsonOutput(IP_BINARY, args, await runIp(['-json', ...args], options));
}

function parseJsonOutput(binary: string, args: readonly string[], stdout: string): unknown {
  const text = stdout.trim();
  // Some `ip` subcommands print nothing at all instead of "[]" when there is nothing to show.
  if (text === '') return [];
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new IpCommandError(
      ['-json', ...args],
      0,
      '',
      `${binary} -json ${args.join(' ')} printed output that is not JSON: ${text.slice(0, 200)}`,
      { cause: error },
    );
  }
}

function toIpCommandError(
  binary: string,
  args: readonly string[],
  error: ExecFileException,
  stderr: string,
  timeoutMs: number,
): IpCommandError {
  const command = `${binary} ${args.join(' ')}`;
  const reason = stderr.trim();
  if (error.code === 'ENOENT') {
    return new IpCommandError(
      args,
      undefined,
      reason,
      `${command}: the "${binary}" command (iproute2) was not found on PATH; install it (apt-get install -y iproute2) ` +
        'or use the process runtime, which needs no pod networking',
      { cause: error },
    );
  }
  if (error.killed === true || (error.signal !== null && error.signal !== undefined)) {
    return new IpCommandError(
      args,
      undefined,
      reason,
      `${command} did not finish within ${timeoutMs} ms (killed by ${error.signal ?? 'SIGKILL'})` +
        (reason === '' ? '' : `: ${reason}`),
      { cause: error },
    );
  }
  const exitCode = typeof error.code === 'number' ? error.code : undefined;
  const hint = hintFor(reason);
  return new IpCommandError(
    args,
    exitCode,
    reason,
    `${command} failed (exit ${exitCode ?? '?'}): ${reason === '' ? error.message : reason}${hint === '' ? '' : `; ${hint}`}`,
    { cause: error },
  );
}

function hintFor(stderr: string): string {
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    return 'pod networking needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); run the agent as root or use the process runtime';
  }
  if (/Unknown device type|Operation not supported/i.test(stderr)) {
    return 'the kernel lacks bridge or veth support; load the modules (modprobe bridge veth) or use the process runtime';
  }
  return '';
}

/** The object already exists: an address, link, route, rule or namespace someone (maybe we) made before. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof IpCommandError && /File exists|already assigned|already exists/i.test(error.stderr);
}

/** The object is not there: a missing device, namespace file, address or route. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof IpCommandError &&
    /Cannot find device|No such file or directory|does not exist|No such process|Cannot assign requested address/i.test(
      error.stderr,
    )
  );
}

/** Awaits an `ip` call whose target may already be gone (deleting is idempotent). */
export async function ignoreNotFound(pending: Promise<string>): Promise<void> {
  try {
    await pending;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

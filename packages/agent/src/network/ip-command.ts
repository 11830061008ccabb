// Runs iproute2's `ip` with an argument array (never through a shell, so pod
// uids and device names can't inject anything) and turns its failures into
// errors that say which command failed, what it printed and what to do about it.

import { execFile, type ExecFileException } from 'node:child_process';

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

/**
 * Runs several `ip` commands in one process (`ip [-netns NS] -batch -`): a
 * pod's network used to cost eight `ip` processes, each a fork of the agent.
 * Without -force, ip stops at the first failing line and names it
 * ("Command failed -:N"): the IpBatchError says which line and what it was for.
 * Arguments must not contain whitespace or quotes (device names, addresses,
 * namespace names, checked here): batch lines are split on blanks.
 */
export async function runIpBatch(lines: readonly IpBatchLine[], options: RunIpOptions & { readonly netns?: string } = {}): Promise<void> {
  for (const line of lines) {
    for (const arg of line.args) {
      if (arg === '' || /[\s"'\\#]/.test(arg)) throw new Error(`ip batch argument ${JSON.stringify(arg)} (${line.what}) cannot be put on a batch line`);
    }
  }
  const globalArgs = [...(options.netns !== undefined ? ['-netns', options.netns] : []), '-batch', '-'];
  const script = lines.map((line) => `${line.args.join(' ')}\n`).join('');
  try {
    await runIp(globalArgs, { ...options, input: script });
  } catch (error) {
    if (!(error instanceof IpCommandError) || error.exitCode === undefined) throw error;
    const failed = /Command failed -:(\d+)/.exec(error.stderr);
    const index = failed ? Number(failed[1]) - 1 : -1;
    const line = lines[index];
    if (line === undefined) throw error;
    const reason = error.stderr.replace(/\s*Command failed -:\d+\s*$/, '').trim();
    const command = `ip ${options.netns !== undefined ? `-netns ${options.netns} ` : ''}${line.args.join(' ')}`;
    const hint = hintFor(reason);
    throw new IpBatchError(line.args, error.exitCode, reason, `${line.what}: ${command} failed: ${reason || error.message}${hint === '' ? '' : `; ${hint}`}`, index, line.what, {
      cause: error,
    });
  }
}

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

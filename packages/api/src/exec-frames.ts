// The frames of an Exec call (ctl exec), shared by ctl, the control plane and
// the agent: what each side sends, built by the helpers below, and what a
// received message means, checked once here. The caller sends one `start`,
// then stdin chunks, resizes and a stdin close; the answer is stdout/stderr
// chunks and finally the exit code (a non-zero one is not an error).
import { InvalidError } from './errors.js';
import type { ExecInput, ExecInput__Output } from './generated/skiff/v1/ExecInput.js';
import type { ExecOutput, ExecOutput__Output } from './generated/skiff/v1/ExecOutput.js';
import type { ExecStart__Output } from './generated/skiff/v1/ExecStart.js';

export type { ExecInput as ExecInputMessage, ExecInput__Output as ExecInputMessageOutput } from './generated/skiff/v1/ExecInput.js';
export type { ExecOutput as ExecOutputMessage, ExecOutput__Output as ExecOutputMessageOutput } from './generated/skiff/v1/ExecOutput.js';

export interface TerminalDimensions {
  readonly width: number;
  readonly height: number;
}

/** A validated start frame. */
export interface ExecStartRequest {
  readonly namespace: string;
  readonly pod: string;
  /** Empty: the server picks (the default-container annotation, else the only container). */
  readonly container: string;
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly tty: boolean;
  /** Tty only. */
  readonly terminalSize: TerminalDimensions;
}

export type ExecInputFrame =
  | { readonly kind: 'start'; readonly start: ExecStartRequest }
  | { readonly kind: 'stdin'; readonly data: Buffer }
  | { readonly kind: 'resize'; readonly size: TerminalDimensions }
  | { readonly kind: 'stdin-close' };

export type ExecOutputFrame =
  | { readonly kind: 'stdout' | 'stderr'; readonly data: Buffer }
  | { readonly kind: 'exit'; readonly code: number };

export const DEFAULT_TERMINAL_SIZE: TerminalDimensions = { width: 80, height: 24 };
/** Terminal sizes are 16-bit in the kernel (struct winsize). */
const MAX_TERMINAL_SIDE = 0xffff;
const MAX_ARGV_BYTES = 128 * 1024;

export const execStart = (start: ExecStartRequest): ExecInput => ({
  start: {
    namespace: start.namespace,
    pod: start.pod,
    container: start.container,
    command: [...start.command],
    stdin: start.stdin,
    tty: start.tty,
    terminal_size: { ...start.terminalSize },
  },
});
export const execStdin = (data: Buffer): ExecInput => ({ stdin: data });
export const execResize = (size: TerminalDimensions): ExecInput => ({ resize: { width: size.width, height: size.height } });
export const execStdinClose = (): ExecInput => ({ stdin_close: {} });
export const execStdout = (data: Buffer): ExecOutput => ({ stdout: data });
export const execStderr = (data: Buffer): ExecOutput => ({ stderr: data });
export const execExit = (code: number): ExecOutput => ({ exit: { code } });

/** What a received input message is; InvalidError for an empty or malformed frame. */
export function decodeExecInput(message: ExecInput__Output): ExecInputFrame {
  switch (message.frame) {
    case 'start':
      return { kind: 'start', start: validateExecStart(message.start) };
    case 'stdin':
      return { kind: 'stdin', data: message.stdin ?? Buffer.alloc(0) };
    case 'resize':
      return { kind: 'resize', size: terminalSize(message.resize, 'resize') };
    case 'stdin_close':
      return { kind: 'stdin-close' };
    default:
      throw new InvalidError('an exec message must carry one of start, stdin, resize or stdin_close');
  }
}

/** What a received output message is; InvalidError for an empty frame. */
export function decodeExecOutput(message: ExecOutput__Output): ExecOutputFrame {
  switch (message.frame) {
    case 'stdout':
      return { kind: 'stdout', data: message.stdout ?? Buffer.alloc(0) };
    case 'stderr':
      return { kind: 'stderr', data: message.stderr ?? Buffer.alloc(0) };
    case 'exit':
      return { kind: 'exit', code: message.exit?.code ?? 0 };
    default:
      throw new InvalidError('an exec answer must carry one of stdout, stderr or exit');
  }
}

function validateExecStart(start: ExecStart__Output | null | undefined): ExecStartRequest {
  if (!start) throw new InvalidError('start: missing');
  const errors: string[] = [];
  if (!start.pod) errors.push('start.pod: a pod name is required');
  if (start.command.length === 0) errors.push('start.command: a command is required (ctl exec POD -- COMMAND [ARGS…])');
  else if (start.command[0] === '') errors.push('start.command[0]: the executable must not be empty');
  if (start.command.some((arg) => arg.includes('\0'))) errors.push('start.command: arguments must not contain NUL bytes');
  if (start.command.reduce((total, arg) => total + Buffer.byteLength(arg) + 1, 0) > MAX_ARGV_BYTES) {
    errors.push(`start.command: longer than ${MAX_ARGV_BYTES} bytes`);
  }
  let size = DEFAULT_TERMINAL_SIZE;
  if (start.terminal_size) {
    try {
      size = terminalSize(start.terminal_size, 'start.terminal_size');
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  if (errors.length > 0) throw new InvalidError(errors.join('; '), errors);
  return {
    namespace: start.namespace || 'default',
    pod: start.pod,
    container: start.container,
    command: [...start.command],
    stdin: start.stdin,
    tty: start.tty,
    terminalSize: size,
  };
}

function terminalSize(size: { width: number; height: number } | null | undefined, field: string): TerminalDimensions {
  const { width = 0, height = 0 } = size ?? {};
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_TERMINAL_SIDE;
  if (!valid(width) || !valid(height)) {
    throw new InvalidError(`${field}: width and height must be whole numbers from 1 to ${MAX_TERMINAL_SIDE}, not ${width}x${height}`);
  }
  return { width, height };
}

// The channel framing of kubectl exec over WebSocket, as kube-apiserver
// speaks it (k8s.io/apimachinery/pkg/util/httpstream/wsstream and client-go's
// remotecommand): every binary message starts with its channel's byte: 0
// stdin, 1 stdout, 2 stderr, 3 error (one Status JSON, the command's end), 4
// resize ({"Width","Height"}). v5.channel.k8s.io adds a close message, byte
// 255 then the channel closed (kubectl's stdin end). Pure functions; the
// WebSocket itself is the `ws` package's (pod-exec-handler.ts).
import { InvalidError, type TerminalDimensions } from '@skiff/api';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
/** Preferred first: what a client offers in Sec-WebSocket-Protocol is answered with the first of these it names. */
export const EXEC_PROTOCOLS: readonly string[] = [V5, V4];

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5 only: [255, channel] says the peer closed that channel. */
export const CLOSE = 255;

/** The protocol to answer with, from the Sec-WebSocket-Protocol values a client offered; undefined: none of ours. */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((value) => value.trim()));
  return EXEC_PROTOCOLS.find((protocol) => set.has(protocol));
}

export function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.of(channel), payload]);
}

export type ClientMessage =
  | { readonly kind: 'stdin'; readonly data: Buffer }
  | { readonly kind: 'resize'; readonly size: TerminalDimensions }
  | { readonly kind: 'stdin-close' }
  /** A frame for another channel, or a close of one the client does not write (ignored, as kube-apiserver does). */
  | { readonly kind: 'ignored' };

/** One message from kubectl; a resize that is not {"Width","Height"} of whole numbers is an InvalidError. */
export function parseClientMessage(message: Buffer, protocol: string): ClientMessage {
  if (message.length === 0) return { kind: 'ignored' };
  const channel = message[0];
  const data = message.subarray(1);
  if (channel === STDIN) return data.length === 0 ? { kind: 'ignored' } : { kind: 'stdin', data };
  if (channel === RESIZE) return { kind: 'resize', size: parseResize(data) };
  if (channel === CLOSE && protocol === V5 && data[0] === STDIN) return { kind: 'stdin-close' };
  return { kind: 'ignored' };
}

function parseResize(data: Buffer): TerminalDimensions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidError('resize: expected JSON {"Width": columns, "Height": rows}');
  }
  const { Width: width, Height: height } = (parsed ?? {}) as { Width?: unknown; Height?: unknown };
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 0 || (height as number) < 0) {
    throw new InvalidError(`resize: expected whole numbers Width and Height, got ${data.toString('utf8')}`);
  }
  return { width: width as number, height: height as number };
}

/** The Status on channel 3 when the command ended: Success, or NonZeroExitCode with the code as client-go reads it. */
export function exitStatus(code: number, command: readonly string[]): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

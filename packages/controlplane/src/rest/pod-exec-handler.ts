// kubectl exec: an upgrade of GET|POST /api/v1/namespaces/NS/pods/NAME/exec
// to a WebSocket (`v5.channel.k8s.io`, else `v4.channel.k8s.io`), relayed to
// the agent as ctl exec is (api/pod-exec-target.ts picks the container and
// the agent). The caller is authenticated and authorized (`create` on
// `pods/exec`) before this is called, exactly as every other request; errors
// before the upgrade are an HTTP Status answer, after it a Status on channel 3
// (exec-channels.ts has the framing). The `ws` package speaks WebSocket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  decodeExecOutput,
  DEFAULT_TERMINAL_SIZE,
  execResize,
  execStart,
  execStdin,
  execStdinClose,
  InvalidError,
  type ExecInputMessage,
  type ExecOutputMessageOutput,
  type ExecStartRequest,
} from '@skiff/api';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { execTarget } from '../api/pod-exec-target.js';
import type { PodAgentOf } from '../api/pod-log-target.js';
import type { ObjectStore } from '../objects/object-store.js';
import { chooseProtocol, ERROR, EXEC_PROTOCOLS, exitStatus, frame, parseClientMessage, STDERR, STDOUT } from './exec-channels.js';
import { toStatus } from './status-errors.js';

export interface PodExecContext {
  readonly objects: ObjectStore;
  readonly agentOf: PodAgentOf;
  readonly log: Logger;
  /** Registers a way to end the session when the server stops; returns its removal. */
  readonly track: (end: () => void) => () => void;
  /** Called once when the session ends, with its gRPC code (for the audit log). */
  readonly done: (code: status) => void;
}

/** Output buffered toward kubectl beyond which the agent's stream is paused until the socket drains. */
const HIGH_WATER_BYTES = 1024 * 1024;

/** The ExecStartRequest a kubectl exec URL asks for (`command` repeated, `container`, `stdin`, `tty`). */
export function execStartOf(namespace: string, pod: string, query: URLSearchParams): ExecStartRequest {
  const command = query.getAll('command');
  if (command.length === 0) throw new InvalidError('command: at least one is required (kubectl exec POD -- COMMAND)');
  return {
    namespace,
    pod,
    container: query.get('container') ?? '',
    command,
    stdin: flag(query, 'stdin'),
    tty: flag(query, 'tty'),
    terminalSize: DEFAULT_TERMINAL_SIZE,
  };
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** One WebSocket server for every exec session, upgrading on the REST door's own https server. */
export const execSockets = (): WebSocketServer =>
  new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => chooseProtocol(offered) ?? false });

/** Resolves the target and upgrades; rejects (for an HTTP Status answer) only before the upgrade. */
export async function servePodExec(context: PodExecContext, sockets: WebSocketServer, start: ExecStartRequest, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  // The target first: kubectl retries a refused WebSocket over SPDY, and that answer is what it prints.
  const target = await execTarget(context.objects, context.agentOf, start);
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
    throw new InvalidError(`exec: upgrade to ${request.headers.upgrade ?? 'nothing'} is not supported; this server speaks exec over WebSocket (${EXEC_PROTOCOLS.join(', ')}, kubectl 1.30 and later)`);
  }
  const offered = request.headers['sec-websocket-protocol'] ?? '';
  const protocol = chooseProtocol(offered.split(','));
  if (!protocol) throw new InvalidError(`exec: the WebSocket must offer one of the subprotocols ${EXEC_PROTOCOLS.join(', ')} (offered: ${offered || 'none'})`);
  sockets.handleUpgrade(request, socket, head, (ws) => relay(context, ws, protocol, target.client.Exec(), target.start));
}

type Upstream = ClientDuplexStream<ExecInputMessage, ExecOutputMessageOutput>;

function relay(context: PodExecContext, ws: WebSocket, protocol: string, upstream: Upstream, start: ExecStartRequest): void {
  let finished = false;
  let paused = false;
  const finish = (code: status, statusBody: object): void => {
    if (finished) return;
    finished = true;
    forget();
    context.done(code);
    ws.send(frame(ERROR, JSON.stringify(statusBody)), () => ws.close(1000));
  };
  const forget = context.track(() => {
    upstream.cancel();
    ws.terminate();
  });
  upstream.write(execStart(start));
  if (!start.stdin) upstream.end();

  ws.on('message', (data: RawData) => {
    try {
      const message = parseClientMessage(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]), protocol);
      if (message.kind === 'stdin' && start.stdin) {
        // Flow control toward the agent: nothing more is read from kubectl while the agent cannot take it.
        if (!upstream.write(execStdin(message.data))) {
          ws.pause();
          upstream.once('drain', () => ws.resume());
        }
      } else if (message.kind === 'resize') upstream.write(execResize(message.size));
      else if (message.kind === 'stdin-close' && start.stdin) upstream.write(execStdinClose());
    } catch (error) {
      upstream.cancel();
      finish(status.INVALID_ARGUMENT, toStatus(error, context.log));
    }
  });
  ws.on('close', () => {
    if (finished) return;
    finished = true;
    forget();
    upstream.cancel();
    context.done(status.CANCELLED);
  });
  ws.on('error', () => ws.terminate());

  upstream.on('data', (message: ExecOutputMessageOutput) => {
    const output = decodeExecOutput(message);
    if (output.kind === 'exit') return finish(status.OK, exitStatus(output.code, start.command));
    // Flow control toward kubectl: ws has no drain event, so the agent's stream pauses while much is buffered, until a send completes.
    ws.send(frame(output.kind === 'stdout' ? STDOUT : STDERR, output.data), () => {
      if (paused && ws.bufferedAmount <= HIGH_WATER_BYTES) {
        paused = false;
        upstream.resume();
      }
    });
    if (!paused && ws.bufferedAmount > HIGH_WATER_BYTES) {
      paused = true;
      upstream.pause();
    }
  });
  upstream.on('end', () => finish(status.UNKNOWN, toStatus(new Error('the agent ended the exec without an exit code'), context.log)));
  upstream.on('error', (error: ServiceError) => {
    if (finished) return;
    finish(error.code, toStatus(error, context.log));
  });
}

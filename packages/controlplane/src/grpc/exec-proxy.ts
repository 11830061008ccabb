// ctl exec, relayed to the agent that runs the pod (see agent-proxy.ts). The
// first frame says what to run; it is authorized as Kubernetes does, `create`
// on `pods/exec` (edit and admin have it, view not, and the node authorizer
// refuses every node identity), and audited like every write. Then frames
// flow both ways unchanged until the agent sends the exit code, or either
// side ends the call.
import { status, type ClientDuplexStream, type ServerDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  decodeExecInput,
  decodeExecOutput,
  execExit,
  execResize,
  execStart,
  execStderr,
  execStdin,
  execStdinClose,
  execStdout,
  InvalidError,
  kindInfo,
  type ExecInputFrame,
  type ExecInputMessage,
  type ExecInputMessageOutput,
  type ExecOutputFrame,
  type ExecOutputMessage,
  type ExecOutputMessageOutput,
  type ExecStartRequest,
} from '@skiff/api';
import { execTarget } from '../api/pod-exec-target.js';
import type { AgentRelayContext } from './agent-relay-context.js';
import { attributesOf } from './request-attributes.js';
import type { Caller } from './request-guard.js';
import { codeOf, toServiceError } from './status.js';

const POD = kindInfo('Pod');
const METHOD = 'Exec';

type ExecCall = ServerDuplexStream<ExecInputMessageOutput, ExecOutputMessage>;
type Upstream = ClientDuplexStream<ExecInputMessage, ExecOutputMessageOutput>;

export function serveExec(context: AgentRelayContext, call: ExecCall): void {
  const done = context.metrics.start(METHOD);
  const started = performance.now();
  let caller: Caller | undefined;
  let upstream: Upstream | undefined;
  let finished = false;
  /** Frames after the start that arrive while the agent is being dialled. */
  const early: ExecInputFrame[] = [];
  let first: ((start: ExecStartRequest) => void) | undefined;

  const finish = (code: status): boolean => {
    if (finished) return false;
    finished = true;
    forget();
    done(code);
    context.guard.audit(METHOD, caller, code, Math.round(performance.now() - started));
    return true;
  };
  const fail = (error: unknown): void => {
    const serviceError = isServiceError(error) ? error : toServiceError(error, context.log, METHOD);
    if (!finish(codeOf(serviceError))) return;
    upstream?.cancel();
    call.emit('error', Object.assign(new Error(serviceError.details), serviceError));
  };
  const forget = context.streams.add((error) => fail(error));
  const forward = (frame: ExecInputFrame): void => {
    if (!upstream) early.push(frame);
    else if (frame.kind === 'stdin') {
      // Flow control both ways: nothing more is read from a side while the other cannot take it.
      if (!upstream.write(execStdin(frame.data))) {
        call.pause();
        upstream.once('drain', () => call.resume());
      }
    }
    else if (frame.kind === 'resize') upstream.write(execResize(frame.size));
    else if (frame.kind === 'stdin-close') upstream.write(execStdinClose());
  };

  call.on('data', (message: ExecInputMessageOutput) => {
    try {
      const frame = decodeExecInput(message);
      if (first) {
        if (frame.kind !== 'start') throw new InvalidError('the first exec message must be start');
        const take = first;
        first = undefined;
        take(frame.start);
      } else if (frame.kind === 'start') {
        throw new InvalidError('start: only the first exec message may start the command');
      } else {
        forward(frame);
      }
    } catch (error) {
      fail(error);
    }
  });
  call.on('end', () => {
    if (first) fail(new InvalidError('the exec call ended before its start message'));
    else if (upstream) upstream.end();
    else early.push({ kind: 'stdin-close' });
  });
  call.on('cancelled', () => {
    upstream?.cancel();
    finish(status.CANCELLED);
  });

  new Promise<ExecStartRequest>((resolve) => (first = resolve))
    .then(async (start) => {
      caller = await context.guard.open(call);
      caller.authorize(attributesOf(POD, 'create', { namespace: start.namespace, name: start.pod, subresource: 'exec' }));
      const target = await execTarget(context.objects, context.agentOf, start);
      if (finished) return;
      const relay = target.client.Exec();
      upstream = relay;
      relay.write(execStart(target.start));
      for (const frame of early.splice(0)) {
        if (frame.kind === 'stdin-close') relay.end();
        else forward(frame);
      }
      relay.on('data', (message: ExecOutputMessageOutput) => {
        try {
          if (!call.write(encodeOutput(decodeExecOutput(message)))) {
            relay.pause();
            call.once('drain', () => relay.resume());
          }
        } catch (error) {
          fail(error);
        }
      });
      relay.on('end', () => {
        if (finish(status.OK)) call.end();
      });
      relay.on('error', (error: ServiceError) => {
        if (error.code === status.CANCELLED && finished) return;
        fail(error);
      });
    })
    .catch(fail);
}

function encodeOutput(frame: ExecOutputFrame): ExecOutputMessage {
  if (frame.kind === 'exit') return execExit(frame.code);
  return frame.kind === 'stdout' ? execStdout(frame.data) : execStderr(frame.data);
}

/** An agent's answer, passed on with its own code and message. */
function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && typeof (error as Partial<ServiceError>).details === 'string';
}

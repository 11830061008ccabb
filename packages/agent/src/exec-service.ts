// The agent's Exec service (ctl exec, relayed by the control plane): the
// first frame names the container and the command; the runtime runs it there
// (runc exec, see runtime/runc-exec.ts); stdin, resizes and the stdin close
// are passed on as they come; output goes back as it comes, then the exit
// code. A command that could not start ends the call with an error status
// instead. The caller leaving (cancel) hangs the command up.
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  decodeExecInput,
  execExit,
  execStderr,
  execStdout,
  InvalidError,
  messageOf,
  NotFoundError,
  SkiffError,
  type AgentHandlers,
  type ExecInputFrame,
  type ExecInputMessageOutput,
  type ExecOutputMessage,
  type ExecStartRequest,
} from '@skiff/api/core';
import { attemptOf, LABEL } from './container-labels.js';
import type { ContainerState, ExecSession, Runtime } from './runtime/runtime.js';

type ExecCall = ServerDuplexStream<ExecInputMessageOutput, ExecOutputMessage>;

export function createExecHandlers(runtime: Runtime): Pick<AgentHandlers, 'Exec'> {
  return { Exec: (call) => void serveExec(runtime, call) };
}

async function serveExec(runtime: Runtime, call: ExecCall): Promise<void> {
  // Frames that arrive before the command runs wait for it, in order.
  const early: ExecInputFrame[] = [];
  let session: ExecSession | undefined;
  let cancelled = false;
  let first: ((frame: ExecInputFrame) => void) | undefined;
  let failed: ((error: unknown) => void) | undefined;
  const apply = (frame: ExecInputFrame): void => {
    if (!session) {
      early.push(frame);
      return;
    }
    if (frame.kind === 'stdin') {
      // Flow control: no more input is read off the call until the command took this.
      if (!session.write(frame.data)) {
        call.pause();
        session.onDrain(() => call.resume());
      }
    }
    else if (frame.kind === 'resize') session.resize(frame.size);
    else if (frame.kind === 'stdin-close') session.closeStdin();
  };
  call.on('data', (message: ExecInputMessageOutput) => {
    try {
      const frame = decodeExecInput(message);
      if (first) {
        const take = first;
        first = undefined;
        take(frame);
      } else if (frame.kind === 'start') {
        throw new InvalidError('start: only the first exec message may start the command');
      } else {
        apply(frame);
      }
    } catch (error) {
      failed?.(error);
      session?.kill();
    }
  });
  // Half-closing the call is the end of stdin.
  call.on('end', () => apply({ kind: 'stdin-close' }));
  call.on('cancelled', () => {
    cancelled = true;
    session?.kill();
  });
  try {
    const start = await new Promise<ExecStartRequest>((resolve, reject) => {
      failed = reject;
      first = (frame) => (frame.kind === 'start' ? resolve(frame.start) : reject(new InvalidError('the first exec message must be start')));
      call.on('end', () => reject(new InvalidError('the exec call ended before its start message')));
    });
    const problem = new Promise<never>((_resolve, reject) => (failed = reject));
    problem.catch(() => undefined); // handled by the race below; never unhandled if it comes first
    const container = await findContainer(runtime, start);
    // Flow control: the command's output is not read while the caller cannot take more.
    const write = (message: ExecOutputMessage): void => {
      if (!cancelled && !call.write(message)) session?.pauseOutput();
    };
    call.on('drain', () => session?.resumeOutput());
    session = await runtime.exec(container.id, {
      command: start.command,
      stdin: start.stdin,
      tty: start.tty,
      terminalSize: start.terminalSize,
      containerName: `container ${start.container} of pod ${start.namespace}/${start.pod}`,
      onOutput: (stream, data) => write(stream === 'stdout' ? execStdout(data) : execStderr(data)),
    });
    if (cancelled) session.kill();
    for (const frame of early.splice(0)) apply(frame);
    const code = await Promise.race([session.exited, problem]);
    write(execExit(code));
    call.end();
  } catch (error) {
    if (cancelled) return;
    const code = error instanceof SkiffError ? error.code : status.INTERNAL;
    const message = messageOf(error);
    // emit, not destroy: a destroyed stream never sends its status.
    call.emit('error', Object.assign(new Error(message), { code, details: message }));
  }
}

/** The newest attempt of that container of that pod (the one running now, if any). */
async function findContainer(runtime: Runtime, start: ExecStartRequest): Promise<ContainerState> {
  if (!start.container) throw new InvalidError('start.container: the agent needs the container name');
  const newest = (await runtime.list())
    .filter(
      (s) =>
        s.labels[LABEL.podNamespace] === start.namespace && s.labels[LABEL.podName] === start.pod && s.labels[LABEL.container] === start.container,
    )
    .sort((a, b) => attemptOf(b) - attemptOf(a))[0];
  if (!newest) throw new NotFoundError(`container ${start.container} of pod ${start.namespace}/${start.pod} has not started on this node`);
  return newest;
}

// An exec probe (or hook): the command runs in the container (runc exec,
// through the runtime, with the container's user, environment and working
// directory); exit 0 is a success. Past the timeout the command is hung up
// and the run fails, as kubelet does since exec probe timeouts are enforced.
import { messageOf } from '@skiff/api/core';
import type { Runtime } from '../runtime/runtime.js';
import { failed, OutputBuffer, type ProbeOutcome } from './probe-outcome.js';

export type ContainerExec = Pick<Runtime, 'exec'>;

/** `timeoutMs` undefined: no limit (a lifecycle hook's exec, as kubelet runs it). */
export async function execProbe(runtime: ContainerExec, containerId: string, command: readonly string[], timeoutMs: number | undefined): Promise<ProbeOutcome> {
  const output = new OutputBuffer();
  let session;
  try {
    session = await runtime.exec(containerId, {
      command,
      stdin: false,
      tty: false,
      terminalSize: { width: 80, height: 24 },
      onOutput: (_stream, data) => output.add(data),
    });
  } catch (error) {
    return failed(messageOf(error));
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const code = await Promise.race([session.exited, timedOut]);
    if (code === 'timeout') {
      session.kill();
      return failed(`command ${JSON.stringify(command.join(' '))} timed out after ${String(timeoutMs)}ms`);
    }
    const text = output.text();
    return code === 0 ? { ok: true, output: text } : failed(text === '' ? `command ${JSON.stringify(command.join(' '))} exited with ${String(code)}` : text);
  } catch (error) {
    return failed(messageOf(error));
  } finally {
    clearTimeout(timer);
  }
}

// One run of a lifecycle hook's handler (postStart, preStop), as kubelet's
// handlerRunner runs it: exec in the container (a non-zero exit fails),
// httpGet to the pod (only a transport error fails: kubelet reads no status
// code here), or sleep. `limitMs` bounds it (preStop: the grace period);
// undefined runs it as long as it takes (postStart, as in kubelet).
import type { Container, LifecycleHandler, Pod } from '@skiff/api/core';
import type { Clock } from '../credentials/certificate-renewer.js';
import { formatPod } from '../events/container-events.js';
import { execProbe, type ContainerExec } from '../probes/exec-prober.js';
import { httpProbe } from '../probes/http-prober.js';
import { failed, type ProbeOutcome, type ProbeTarget } from '../probes/probe-outcome.js';

export async function runHookHandler(
  handler: LifecycleHandler,
  target: ProbeTarget,
  limitMs: number | undefined,
  runtime: ContainerExec,
  clock: Clock,
): Promise<ProbeOutcome> {
  if (handler.exec) return execProbe(runtime, target.containerId, handler.exec.command, limitMs);
  if (handler.httpGet) return httpProbe(handler.httpGet, target, { timeoutMs: limitMs, anyStatus: true });
  if (handler.sleep) {
    const ms = Math.min(handler.sleep.seconds * 1000, limitMs ?? Number.POSITIVE_INFINITY);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    return { ok: true, output: '' };
  }
  return failed('the hook has no handler');
}

/** kubelet's words for a failed hook: `Exec lifecycle hook ([touch /x]) for Container "main" in Pod "web_default(uid)" failed - error: …`. */
export function hookFailureMessage(handler: LifecycleHandler, pod: Pod, container: Container, outcome: ProbeOutcome): string {
  const what = handler.exec ? `Exec lifecycle hook ([${handler.exec.command.join(' ')}])` : handler.httpGet ? `HTTP lifecycle hook (${handler.httpGet.path ?? '/'})` : 'Sleep lifecycle hook';
  return `${what} for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${outcome.output}`;
}

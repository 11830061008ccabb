// How the eviction manager kills a pod: its running containers get SIGKILL at
// once (hard eviction has no grace period, as in kubelet) and the reconciler
// is asked for a pass, which reports the pod Failed/Evicted and keeps it stopped.
import type { Pod } from '@skiff/api/core';
import { LABEL } from '../container-labels.js';
import type { Runtime } from '../runtime/runtime.js';

export function podKiller(runtime: Runtime, afterKill: () => void): (pod: Pod) => Promise<void> {
  return async (pod) => {
    const uid = pod.metadata.uid ?? '';
    const mine = (await runtime.list()).filter((state) => state.labels[LABEL.podUid] === uid && state.status === 'running');
    await Promise.all(mine.map((state) => runtime.stop(state.id, 0)));
    afterKill();
  };
}

// What an exec relayed to an agent reads, shared by both doors (ctl exec in
// grpc/exec-proxy.ts, kubectl exec in rest/pod-exec-handler.ts): the pod,
// which must not have completed, its container (kubectl's default when none
// is named), and the agent of the pod's node. Each door authorizes first.
import { defaultContainerOf, FailedPreconditionError, isTerminalPod, kindInfo, NotFoundError, type AgentClient, type ExecStartRequest, type Pod } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import type { PodAgentOf } from './pod-log-target.js';

const POD = kindInfo('Pod');

export interface ExecTarget {
  readonly client: AgentClient;
  /** The start to send the agent: the container filled in. */
  readonly start: ExecStartRequest;
}

export async function execTarget(objects: ObjectStore, agentOf: PodAgentOf, start: ExecStartRequest): Promise<ExecTarget> {
  const pod = await objects.mustGet<Pod>(POD, start.namespace, start.pod);
  const container = containerFor(pod, start.container);
  if (isTerminalPod(pod)) {
    throw new FailedPreconditionError(`cannot exec into a container in a completed pod; current phase is ${pod.status?.phase ?? ''}`);
  }
  const client = await agentOf(pod, 'cannot exec into it');
  return { client, start: { ...start, container } };
}

/** The named container, which must be the pod's; else the default one (kubectl's choice, see defaultContainerOf). */
function containerFor(pod: Pod, named: string): string {
  // Init containers too (kubectl exec -c INIT works while one runs).
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  if (!named) return defaultContainerOf(pod).name;
  if (!names.includes(named)) {
    throw new NotFoundError(`container ${JSON.stringify(named)} not found in pod ${JSON.stringify(pod.metadata.name)}; its containers are: [${names.join(' ')}]`);
  }
  return named;
}

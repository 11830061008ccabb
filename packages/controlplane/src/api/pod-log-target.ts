// What a logs request relayed to an agent reads, shared by both doors (the
// gRPC door's ctl logs in grpc/logs-proxy.ts, the REST door's pods/log in
// rest/pod-log-handler.ts): the pod, its container (defaulted when the pod
// has only one), and the agent of the pod's node. Each door authorizes first.
import { InvalidError, kindInfo, type AgentClient, type LogsRequestMessage, type Pod } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';

const POD = kindInfo('Pod');

/** The agent of the node a pod is bound to; `purpose` words the refusals ("no logs exist", "cannot exec into it"). */
export type PodAgentOf = (pod: Pod, purpose: string) => Promise<AgentClient>;

export interface LogTarget {
  readonly client: AgentClient;
  /** The request to send the agent: namespace and container filled in. */
  readonly request: LogsRequestMessage;
}

export async function logTarget(objects: ObjectStore, agentOf: PodAgentOf, request: LogsRequestMessage): Promise<LogTarget> {
  const namespace = request.namespace || 'default';
  const pod = await objects.mustGet<Pod>(POD, namespace, request.pod);
  const names = pod.spec.containers.map((c) => c.name);
  const initNames = (pod.spec.initContainers ?? []).map((c) => c.name);
  let container = request.container;
  if (!container) {
    if (names.length !== 1) {
      const inits = initNames.length > 0 ? ` or one of the init containers: [${initNames.join(' ')}]` : '';
      throw new InvalidError(`a container name must be specified for pod ${request.pod}, choose one of: [${names.join(' ')}]${inits}`);
    }
    container = names[0] ?? '';
  } else if (!names.includes(container) && !initNames.includes(container)) {
    throw new InvalidError(`container ${container} is not valid for pod ${request.pod}; its containers are: [${names.join(' ')}]`);
  }
  const client = await agentOf(pod, 'no logs exist');
  return { client, request: { ...request, namespace, container } };
}

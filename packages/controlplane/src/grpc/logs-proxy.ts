// ctl logs, relayed to the agent that runs the pod (see agent-proxy.ts):
// authorized as `get pods/log`, the container defaulted when the pod has only
// one, then the agent's stream passed on chunk by chunk.
import { status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { InvalidError, kindInfo, type LogChunkMessage, type LogChunkMessageOutput, type LogsRequestMessage, type Pod } from '@skiff/api';
import type { AgentRelayContext } from './agent-relay-context.js';
import { attributesOf } from './request-attributes.js';
import { codeOf, toServiceError } from './status.js';

const POD = kindInfo('Pod');

export function serveLogs(context: AgentRelayContext, call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): void {
  const done = context.metrics.start('Logs');
  const fail = (error: unknown): void => {
    const serviceError = toServiceError(error, context.log, 'Logs');
    done(codeOf(serviceError));
    call.emit('error', Object.assign(new Error(serviceError.details), serviceError));
  };
  open(context, call).then(({ client, request }) => {
    const upstream = client.Logs(request);
    const forget = context.streams.add((error) => {
      upstream.cancel();
      fail(error);
    });
    call.on('close', forget);
    call.on('cancelled', () => upstream.cancel());
    upstream.on('data', (chunk: LogChunkMessageOutput) => call.write({ data: chunk.data }));
    upstream.on('end', () => {
      done(status.OK);
      call.end();
    });
    upstream.on('error', (error: ServiceError) => {
      if (error.code === status.CANCELLED) return;
      done(error.code);
      call.emit('error', error);
    });
  }, fail);
}

async function open(context: AgentRelayContext, call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>) {
  const request = call.request;
  const namespace = request.namespace || 'default';
  const caller = await context.guard.open(call);
  caller.authorize(attributesOf(POD, 'get', { namespace, name: request.pod, subresource: 'log' }));
  const pod = await context.objects.mustGet<Pod>(POD, namespace, request.pod);
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
  const client = await context.agentOf(pod, 'no logs exist');
  return { client, request: { ...request, namespace, container } };
}

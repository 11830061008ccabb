// ctl logs, relayed to the agent that runs the pod (see agent-proxy.ts):
// authorized as `get pods/log`, the container defaulted when the pod has only
// one (api/pod-log-target.ts), then the agent's stream passed on chunk by chunk.
import { status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { kindInfo, type LogChunkMessage, type LogChunkMessageOutput, type LogsRequestMessage } from '@skiff/api';
import { logTarget } from '../api/pod-log-target.js';
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
  const caller = await context.guard.open(call);
  caller.authorize(attributesOf(POD, 'get', { namespace: request.namespace || 'default', name: request.pod, subresource: 'log' }));
  return logTarget(context.objects, context.agentOf, request);
}

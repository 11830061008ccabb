// ctl logs reaches the control plane, which finds the pod's node and relays
// the stream from that node's agent: clients never need to reach agents.
import { status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import {
  createAgentClient,
  FailedPreconditionError,
  InvalidError,
  kindInfo,
  type AgentClient,
  type LogChunkMessage,
  type LogChunkMessageOutput,
  type LogsRequestMessage,
  type Node,
  type Pod,
} from '@skiff/api';
import type { Logger } from 'pino';
import type { ObjectStore } from '../objects/object-store.js';
import { codeOf, toServiceError } from './status.js';
import type { ApiMetrics } from './api-metrics.js';
import type { OpenStreams } from './watch-stream.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');

export class LogsProxy {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly metrics: ApiMetrics,
    private readonly log: Logger,
    private readonly streams: OpenStreams,
  ) {}

  serve(call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): void {
    const done = this.metrics.start('Logs');
    const fail = (error: unknown): void => {
      const serviceError = toServiceError(error, this.log, 'Logs');
      done(codeOf(serviceError));
      call.emit('error', Object.assign(new Error(serviceError.details), serviceError));
    };
    this.open(call.request).then((upstreamRequest) => {
      const upstream = upstreamRequest.client.Logs(upstreamRequest.request);
      const forget = this.streams.add((error) => {
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

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async open(request: LogsRequestMessage): Promise<{ client: AgentClient; request: LogsRequestMessage }> {
    const namespace = request.namespace || 'default';
    const pod = await this.objects.mustGet<Pod>(POD, namespace, request.pod);
    const names = pod.spec.containers.map((c) => c.name);
    let container = request.container;
    if (!container) {
      if (names.length !== 1) {
        throw new InvalidError(`a container name must be specified for pod ${request.pod}, choose one of: [${names.join(' ')}]`);
      }
      container = names[0] ?? '';
    } else if (!names.includes(container)) {
      throw new InvalidError(`container ${container} is not valid for pod ${request.pod}; its containers are: [${names.join(' ')}]`);
    }
    if (!pod.spec.nodeName) throw new FailedPreconditionError(`pod ${request.pod} is not scheduled on a node yet; no logs exist`);
    const node = await this.objects.mustGet<Node>(NODE, undefined, pod.spec.nodeName);
    const address = node.status?.daemonEndpoints?.agentEndpoint?.address;
    if (!address) throw new FailedPreconditionError(`node ${node.metadata.name} does not publish an agent address for logs`);
    let client = this.clients.get(address);
    if (!client) {
      client = createAgentClient(address);
      this.clients.set(address, client);
    }
    return { client, request: { ...request, namespace, container } };
  }
}

// ctl logs reaches the control plane, which finds the pod's node and relays
// the stream from that node's agent: clients never need to reach agents. The
// control plane dials agents over mutual TLS: it presents its own client
// certificate, and accepts only the node certificate of the pod's node.
import { credentials, status, type ChannelCredentials, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import {
  createAgentClient,
  FailedPreconditionError,
  InvalidError,
  kindInfo,
  NODE_USER_PREFIX,
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
import type { RequestGuard } from './request-guard.js';
import { attributesOf } from './request-attributes.js';
import type { OpenStreams } from './watch-stream.js';

/** What the control plane presents to agents, and trusts in them. */
export interface AgentDialIdentity {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');

export class LogsProxy {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly metrics: ApiMetrics,
    private readonly log: Logger,
    private readonly streams: OpenStreams,
    private readonly guard: RequestGuard,
    private identity: AgentDialIdentity,
  ) {}

  /** A renewed client certificate: connections made from now on present it. */
  updateIdentity(identity: AgentDialIdentity): void {
    this.identity = identity;
    this.close();
  }

  serve(call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): void {
    const done = this.metrics.start('Logs');
    const fail = (error: unknown): void => {
      const serviceError = toServiceError(error, this.log, 'Logs');
      done(codeOf(serviceError));
      call.emit('error', Object.assign(new Error(serviceError.details), serviceError));
    };
    this.open(call).then((upstreamRequest) => {
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

  /** TLS to one agent: the cluster CA, and the peer must be that node (its certificate's CN), whatever address it is reached at. */
  private agentCredentials(nodeName: string): ChannelCredentials {
    const expected = `${NODE_USER_PREFIX}${nodeName}`;
    return credentials.createSsl(Buffer.from(this.identity.caPem), Buffer.from(this.identity.keyPem), Buffer.from(this.identity.certPem), {
      checkServerIdentity: (_host, certificate) =>
        certificate.subject?.CN === expected ? undefined : new Error(`the agent answering for node ${nodeName} presented ${JSON.stringify(certificate.subject?.CN)}, not ${expected}`),
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async open(call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): Promise<{ client: AgentClient; request: LogsRequestMessage }> {
    const request = call.request;
    const namespace = request.namespace || 'default';
    const caller = await this.guard.open(call);
    caller.authorize(attributesOf(POD, 'get', { namespace, name: request.pod, subresource: 'log' }));
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
    const nodeName = node.metadata.name;
    const key = `${nodeName}@${address}`;
    let client = this.clients.get(key);
    if (!client) {
      client = createAgentClient(address, {}, this.agentCredentials(nodeName));
      this.clients.set(key, client);
    }
    return { client, request: { ...request, namespace, container } };
  }
}

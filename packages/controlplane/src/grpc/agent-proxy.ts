// ctl logs and ctl exec reach the control plane, which finds the pod's node
// and relays the call to that node's agent: clients never need to reach
// agents. The control plane dials agents over mutual TLS: it presents its own
// client certificate, and accepts only the node certificate of the pod's node.
// This is what both relays share (logs-proxy.ts and exec-proxy.ts say what
// each call means): the connections, and the way from a pod to its agent.
import { credentials, type ChannelCredentials, type ServerDuplexStream, type ServerWritableStream } from '@grpc/grpc-js';
import {
  createAgentClient,
  FailedPreconditionError,
  kindInfo,
  NODE_USER_PREFIX,
  type AgentClient,
  type ExecInputMessageOutput,
  type ExecOutputMessage,
  type LogChunkMessage,
  type LogsRequestMessage,
  type Node,
  type Pod,
} from '@skiff/api';
import type { Logger } from 'pino';
import type { ObjectStore } from '../objects/object-store.js';
import type { AgentRelayContext } from './agent-relay-context.js';
import type { ApiMetrics } from './api-metrics.js';
import { serveExec } from './exec-proxy.js';
import { serveLogs } from './logs-proxy.js';
import type { RequestGuard } from './request-guard.js';
import type { OpenStreams } from './watch-stream.js';

/** What the control plane presents to agents, and trusts in them. */
export interface AgentDialIdentity {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const NODE = kindInfo('Node');

export class AgentProxy {
  private readonly clients = new Map<string, AgentClient>();
  private readonly context: AgentRelayContext;

  constructor(
    objects: ObjectStore,
    metrics: ApiMetrics,
    log: Logger,
    streams: OpenStreams,
    guard: RequestGuard,
    private identity: AgentDialIdentity,
  ) {
    this.context = { objects, metrics, log, streams, guard, agentOf: (pod, purpose) => this.agentOf(pod, purpose) };
  }

  /** A renewed client certificate: connections made from now on present it. */
  updateIdentity(identity: AgentDialIdentity): void {
    this.identity = identity;
    this.close();
  }

  serveLogs(call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): void {
    serveLogs(this.context, call);
  }

  serveExec(call: ServerDuplexStream<ExecInputMessageOutput, ExecOutputMessage>): void {
    serveExec(this.context, call);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** The agent of the node a pod is bound to (the REST door relays through it too). */
  async agentOf(pod: Pod, purpose: string): Promise<AgentClient> {
    if (!pod.spec.nodeName) throw new FailedPreconditionError(`pod ${pod.metadata.name} is not scheduled on a node yet; ${purpose}`);
    const node = await this.context.objects.mustGet<Node>(NODE, undefined, pod.spec.nodeName);
    return this.agentForNode(node, purpose);
  }

  /** The connection to a node's agent (made once per node and address): the resource metrics scraper's too. */
  agentForNode(node: Node, purpose = 'cannot reach its agent'): AgentClient {
    const address = node.status?.daemonEndpoints?.agentEndpoint?.address;
    const nodeName = node.metadata.name;
    if (!address) throw new FailedPreconditionError(`node ${nodeName} does not publish an agent address; ${purpose}`);
    const key = `${nodeName}@${address}`;
    let client = this.clients.get(key);
    if (!client) {
      client = createAgentClient(address, {}, this.agentCredentials(nodeName));
      this.clients.set(key, client);
    }
    return client;
  }

  /** TLS to one agent: the cluster CA, and the peer must be that node (its certificate's CN), whatever address it is reached at. */
  private agentCredentials(nodeName: string): ChannelCredentials {
    const expected = `${NODE_USER_PREFIX}${nodeName}`;
    return credentials.createSsl(Buffer.from(this.identity.caPem), Buffer.from(this.identity.keyPem), Buffer.from(this.identity.certPem), {
      checkServerIdentity: (_host, certificate) =>
        certificate.subject?.CN === expected ? undefined : new Error(`the agent answering for node ${nodeName} presented ${JSON.stringify(certificate.subject?.CN)}, not ${expected}`),
    });
  }
}

// Wires a node agent together: its own gRPC server (logs), the node session
// (registration + heartbeats), the assignment stream, the runtime, images and
// pod network, and the reconciler. main.ts only parses flags and signals.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  agentServiceDefinition,
  createNodeApiClient,
  type BackoffPolicy,
  type Node,
  type NodeApiClient,
  type Pod,
  type PodStatus,
} from '@skiff/api';
import type { Logger } from 'pino';
import { Assignments } from './assignments.js';
import { unary } from './grpc-call.js';
import { detectCapacity } from './host-capacity.js';
import { RegistryImageStore } from './images/registry-image-store.js';
import { createLogsHandlers } from './logs-service.js';
import { BridgePodNetwork } from './network/bridge-pod-network.js';
import { resetNode } from './node-reset.js';
import { NodeSession } from './node-session.js';
import { Reconciler } from './reconciler.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import { RuncRuntime } from './runtime/runc-runtime.js';
import type { Runtime } from './runtime/runtime.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentConfig {
  readonly server: string;
  readonly nodeName: string;
  /** host:port of the agent's own gRPC server (logs); port 0 picks one. */
  readonly listen: string;
  readonly stateDir: string;
  readonly runtime: 'runc' | 'process';
  readonly capacity: { cpu?: string; memory?: string; pods?: string };
  readonly labels: Readonly<Record<string, string>>;
  /** Registered with the node the first time it registers. */
  readonly taints: NonNullable<Node['spec']['taints']>;
  readonly insecureRegistries: readonly string[];
  readonly restartBackoff: BackoffPolicy;
  readonly resyncMs: number;
}

export class NodeAgent {
  private server?: Server;
  private client?: NodeApiClient;
  private session?: NodeSession;
  private assignments?: Assignments;
  private reconciler?: Reconciler;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<{ node: Node; agentAddress: string }> {
    const runtime = this.createRuntime();
    const agentAddress = await this.listen(runtime);
    this.client = createNodeApiClient(this.config.server);
    const host = agentAddress.slice(0, agentAddress.lastIndexOf(':'));
    this.session = new NodeSession({ client: this.client, node: this.nodeObject(agentAddress, host), log: this.log });
    const node = await this.session.start();
    await this.remember(node, this.session.podNetwork);

    const network = this.config.runtime === 'runc' ? this.createNetwork(node, this.session.podNetwork) : undefined;
    const images =
      this.config.runtime === 'runc'
        ? new RegistryImageStore({ root: join(this.config.stateDir, 'images'), insecureRegistries: [...this.config.insecureRegistries] })
        : undefined;
    const client = this.client;
    const assignments = new Assignments({ client, nodeName: this.config.nodeName, log: this.log, onChange: () => this.reconciler?.trigger() });
    this.assignments = assignments;
    this.reconciler = new Reconciler({
      runtime,
      ...(images ? { images } : {}),
      ...(network ? { network } : {}),
      pods: assignments,
      hostIP: host,
      reportStatus: (pod, status) => this.reportStatus(client, pod, status),
      log: this.log,
      restartBackoff: this.config.restartBackoff,
      resyncMs: this.config.resyncMs,
    });
    assignments.start();
    this.reconciler.start();
    return { node, agentAddress };
  }

  /** Stops talking to the control plane. Containers keep running: a restarted agent adopts them. */
  async stop(): Promise<void> {
    this.session?.stop();
    this.assignments?.stop();
    await this.reconciler?.stop();
    this.client?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.tryShutdown(() => resolve()) : resolve()));
  }

  /**
   * Removes every container, mount, cgroup and pod network namespace under
   * this agent's state dir (skiff-agent --reset). Run with the agent stopped.
   */
  async reset(): Promise<{ containers: number; pods: number }> {
    const { podCIDR, podNetwork } = await this.remembered();
    const network = podCIDR
      ? new BridgePodNetwork({ stateDir: join(this.config.stateDir, 'network'), podCidr: podCIDR, ...(podNetwork ? { clusterCidr: podNetwork } : {}) })
      : undefined;
    return resetNode(this.createRuntime(), network);
  }

  /** The pod CIDR outlives the process: --reset needs it to find this node's network state. */
  private async remember(node: Node, podNetwork: string): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true });
    const saved = { name: node.metadata.name, podCIDR: node.spec.podCIDR, podNetwork };
    await writeFile(join(this.config.stateDir, 'node.json'), JSON.stringify(saved));
  }

  private async remembered(): Promise<{ podCIDR?: string; podNetwork?: string }> {
    try {
      return JSON.parse(await readFile(join(this.config.stateDir, 'node.json'), 'utf8')) as { podCIDR?: string; podNetwork?: string };
    } catch {
      return {};
    }
  }

  private createRuntime(): Runtime {
    const stateDir = join(this.config.stateDir, 'containers');
    return this.config.runtime === 'runc'
      ? new RuncRuntime({ stateDir, instanceName: this.config.nodeName })
      : new ProcessRuntime({ stateDir });
  }

  private createNetwork(node: Node, clusterCidr: string): BridgePodNetwork {
    const podCidr = node.spec.podCIDR;
    if (!podCidr) throw new Error(`the control plane gave node ${node.metadata.name} no pod CIDR`);
    return new BridgePodNetwork({ stateDir: join(this.config.stateDir, 'network'), podCidr, ...(clusterCidr ? { clusterCidr } : {}) });
  }

  private async listen(runtime: Runtime): Promise<string> {
    const server = new Server();
    server.addService(agentServiceDefinition(), createLogsHandlers(runtime));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.config.listen, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.server = server;
    return `${this.config.listen.slice(0, this.config.listen.lastIndexOf(':'))}:${port}`;
  }

  private nodeObject(agentAddress: string, host: string): Node {
    const capacity = detectCapacity(this.config.capacity);
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.config.nodeName, labels: { ...this.config.labels } },
      spec: this.config.taints.length > 0 ? { taints: [...this.config.taints] } : {},
      status: {
        capacity: { ...capacity },
        allocatable: { ...capacity },
        addresses: [{ type: 'InternalIP', address: host }],
        daemonEndpoints: { agentEndpoint: { address: agentAddress } },
        nodeInfo: { runtime: this.config.runtime, agentVersion: AGENT_VERSION, operatingSystem: process.platform, architecture: process.arch },
      },
    };
  }

  private async reportStatus(client: NodeApiClient, pod: Pod, status: PodStatus): Promise<void> {
    await unary((cb, options) =>
      client.UpdatePodStatus(
        {
          node_name: this.config.nodeName,
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name,
          uid: pod.metadata.uid ?? '',
          status_json: JSON.stringify(status),
        },
        options,
        cb,
      ),
    );
  }
}

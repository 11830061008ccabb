// Registers this node and keeps its lease renewed. A control plane that has
// forgotten us (NOT_FOUND) gets a fresh registration; one that is away is
// retried with capped back-off while the containers keep running. Every call
// goes through the client of the moment (renewals and fail-overs replace it).
import { status, type ServiceError } from '@grpc/grpc-js';
import { BACKOFF, backoffDelay, type Node, type NodeApiClient } from '@skiff/api';
import type { Logger } from 'pino';
import { unary } from './grpc-call.js';

export interface NodeSessionOptions {
  readonly client: () => NodeApiClient;
  readonly node: Node;
  readonly log: Logger;
  /** A registration or heartbeat failed: the agent may renew its certificate or fail over. */
  readonly onCallFailed?: (error: unknown) => void;
}

export class NodeSession {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private intervalMs = 1000;
  private registered?: Node;
  private network = '';

  constructor(private readonly options: NodeSessionOptions) {}

  /** Registers (retrying until the control plane answers) and starts heartbeats. */
  async start(): Promise<Node> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const node = await this.register();
        this.schedule();
        return node;
      } catch (error) {
        this.options.onCallFailed?.(error);
        const waitMs = backoffDelay(BACKOFF.nodeSession, attempt);
        this.options.log.warn({ err: error, waitMs }, 'registration failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
    throw new Error('stopped before registering');
  }

  get node(): Node | undefined {
    return this.registered;
  }

  /** The cluster's whole pod network, as the control plane announced it. */
  get podNetwork(): string {
    return this.network;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async register(): Promise<Node> {
    const response = await unary<{ node_json: string; heartbeat_interval_ms: number; pod_network: string }>((cb, options) =>
      this.options.client().RegisterNode({ node_json: JSON.stringify(this.options.node) }, options, cb),
    );
    this.intervalMs = response.heartbeat_interval_ms || 1000;
    this.registered = JSON.parse(response.node_json) as Node;
    this.network = response.pod_network;
    this.options.log.info({ node: this.registered.metadata.name, podCIDR: this.registered.spec.podCIDR }, 'node registered');
    return this.registered;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), this.intervalMs);
  }

  private async beat(): Promise<void> {
    const name = this.options.node.metadata.name;
    try {
      await unary((cb, options) => this.options.client().Heartbeat({ node_name: name }, options, cb));
    } catch (error) {
      if ((error as ServiceError).code === status.NOT_FOUND) {
        await this.register().catch((e: unknown) => {
          this.options.onCallFailed?.(e);
          this.options.log.warn({ err: e }, 're-registration failed');
        });
      } else {
        this.options.onCallFailed?.(error);
        this.options.log.warn({ err: error }, 'heartbeat failed');
      }
    }
    this.schedule();
  }
}

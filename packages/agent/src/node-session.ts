// Registers this node and heartbeats (at the interval the control plane answers). A control plane that has
// forgotten us (NOT_FOUND) gets a fresh registration; one that is away is
// retried with capped back-off while the containers keep running. Every call
// goes through the client of the moment (renewals and fail-overs replace it).
import { status, type ServiceError } from '@grpc/grpc-js';
import { BACKOFF, backoffDelay, type Node, type NodeApiClient, type NodeCondition } from '@skiff/api/core';
import type { Logger } from 'pino';
import { unary } from './grpc-call.js';

/** How soon a heartbeat refused UNAVAILABLE is retried on the server the link moved to. */
const RETRY_AT_ONCE_MS = 50;

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
  /** The last heartbeat failed UNAVAILABLE and the next goes out at once. */
  private retryingAtOnce = false;
  private registered?: Node;
  private network = '';
  /** Conditions the agent itself judges (MemoryPressure), by type; sent with every registration. */
  private readonly conditions = new Map<string, NodeCondition>();
  /** A condition changed but its registration failed: the next heartbeat registers again. */
  private conditionsPending = false;

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

  /** The interval the control plane asked for (at registration, then with each heartbeat's answer). */
  get heartbeatIntervalMs(): number {
    return this.intervalMs;
  }

  /** The cluster's whole pod network, as the control plane announced it. */
  get podNetwork(): string {
    return this.network;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Reports a condition of the agent's own (e.g. MemoryPressure) by
   * registering again: RegisterNode refreshes what the agent knows of its node.
   * Before the first registration it only goes with that one.
   */
  async setCondition(condition: NodeCondition): Promise<void> {
    this.conditions.set(condition.type, condition);
    if (!this.registered) return;
    try {
      await this.register();
      this.conditionsPending = false;
    } catch (error) {
      this.conditionsPending = true;
      this.options.log.warn({ err: error, condition: condition.type }, 'reporting a node condition failed; retrying with the next heartbeat');
    }
  }

  private async register(): Promise<Node> {
    const response = await unary<{ node_json: string; heartbeat_interval_ms: number; pod_network: string }>((cb, options) =>
      this.options.client().RegisterNode({ node_json: JSON.stringify(this.nodeToRegister()) }, options, cb),
    );
    this.intervalMs = response.heartbeat_interval_ms || 1000;
    this.registered = JSON.parse(response.node_json) as Node;
    this.network = response.pod_network;
    this.options.log.info({ node: this.registered.metadata.name, podCIDR: this.registered.spec.podCIDR }, 'node registered');
    return this.registered;
  }

  private nodeToRegister(): Node {
    const node = this.options.node;
    if (this.conditions.size === 0) return node;
    return { ...node, status: { ...node.status, conditions: [...(node.status?.conditions ?? []), ...this.conditions.values()] } };
  }

  private schedule(delayMs = this.intervalMs): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), delayMs);
  }

  private async beat(): Promise<void> {
    const name = this.options.node.metadata.name;
    try {
      const answer = await unary<{ heartbeat_interval_ms?: number }>((cb, options) => this.options.client().Heartbeat({ node_name: name }, options, cb));
      // The control plane lengthens the interval as the fleet grows (it answers a bounded rate of heartbeats).
      if (answer.heartbeat_interval_ms) this.intervalMs = answer.heartbeat_interval_ms;
      if (this.conditionsPending) {
        await this.register();
        this.conditionsPending = false;
      }
    } catch (error) {
      if ((error as ServiceError).code === status.NOT_FOUND) {
        await this.register().catch((e: unknown) => {
          this.options.onCallFailed?.(e);
          this.options.log.warn({ err: e }, 're-registration failed');
        });
      } else {
        this.options.onCallFailed?.(error);
        this.options.log.warn({ err: error }, 'heartbeat failed');
        // A standby refused it (or the server is gone) and the link has moved on, to the leader it named
        // or the next server: try there at once, once, rather than an interval later (the new leader's grace is a lease).
        if ((error as ServiceError).code === status.UNAVAILABLE && !this.retryingAtOnce) {
          this.retryingAtOnce = true;
          this.schedule(RETRY_AT_ONCE_MS);
          return;
        }
      }
    }
    this.retryingAtOnce = false;
    this.schedule();
  }
}

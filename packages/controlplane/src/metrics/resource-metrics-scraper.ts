// Polls the agents of Ready nodes for their latest samples every resolution
// (metrics-server's --metric-resolution, default 5 s here too) and keeps them
// in the ResourceMetricsStore. Every control plane scrapes on its own, so each
// serves the metrics API without asking the leader. The agent connection is
// the AgentProxy's (mutual TLS, the node's certificate checked), injected.
import type { AgentClient, Node, ResourceMetricsMessageOutput } from '@skiff/api';
import type { Logger } from 'pino';
import type { NodeScrape, ResourceMetricsStore, UsageInput } from './resource-metrics-store.js';

export const DEFAULT_METRICS_RESOLUTION_MS = 5_000;
/** A node whose scrapes keep failing loses its metrics after this many resolutions. */
const STALE_AFTER_RESOLUTIONS = 3;
const MAX_SCRAPE_TIMEOUT_MS = 10_000;

export interface ResourceMetricsScraperOptions {
  readonly store: ResourceMetricsStore;
  /** The nodes known now (an informer's cache): only the Ready ones with an agent address are scraped. */
  readonly nodes: () => Iterable<Node>;
  /** The connection to a node's agent (AgentProxy.agentForNode). */
  readonly agentOf: (node: Node) => AgentClient;
  readonly resolutionMs?: number;
  readonly now?: () => number;
  readonly log: Logger;
}

export class ResourceMetricsScraper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  /** Nodes whose last scrape failed, so a failure is logged once, not every round. */
  private readonly failing = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: ResourceMetricsScraperOptions) {
    this.now = options.now ?? Date.now;
  }

  get resolutionMs(): number {
    return this.options.resolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.scrape().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(loop, this.resolutionMs);
        this.timer.unref();
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: every Ready node's agent, in parallel. */
  async scrape(): Promise<void> {
    const { store } = this.options;
    const ready = [...this.options.nodes()].filter((node) => isReady(node) && agentAddressOf(node) !== undefined);
    const names = new Set(ready.map((node) => node.metadata.name));
    for (const name of store.nodeNames()) if (!names.has(name)) store.removeNode(name);
    await Promise.all(ready.map((node) => this.scrapeNode(node)));
    store.prune(this.now() - STALE_AFTER_RESOLUTIONS * this.resolutionMs);
  }

  private async scrapeNode(node: Node): Promise<void> {
    const name = node.metadata.name;
    try {
      const client = this.options.agentOf(node);
      const timeoutMs = Math.min(this.resolutionMs, MAX_SCRAPE_TIMEOUT_MS);
      const message = await new Promise<ResourceMetricsMessageOutput>((resolve, reject) =>
        client.GetResourceMetrics({}, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => (error || !response ? reject(error ?? new Error('no response')) : resolve(response))),
      );
      this.options.store.replaceNode(name, { ...scrapeOf(message), labels: node.metadata.labels ?? {} }, this.now());
      if (this.failing.delete(name)) this.options.log.info({ node: name }, 'resource metrics scrape works again');
    } catch (error) {
      if (!this.failing.has(name)) this.options.log.warn({ err: error, node: name }, 'resource metrics scrape failed');
      this.failing.add(name);
    }
  }
}

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function agentAddressOf(node: Node): string | undefined {
  return node.status?.daemonEndpoints?.agentEndpoint?.address || undefined;
}

/** The agent's message in the store's units (its uint64 fields arrive as strings). */
export function scrapeOf(message: ResourceMetricsMessageOutput): NodeScrape {
  const usage = (sample: NonNullable<ResourceMetricsMessageOutput['node']>): UsageInput => ({
    timestamp: sample.timestamp,
    windowMs: sample.window_ms,
    cpuNanoCores: Number(sample.cpu_nano_cores),
    memoryWorkingSetBytes: Number(sample.memory_working_set_bytes),
  });
  return {
    ...(message.node ? { node: usage(message.node) } : {}),
    pods: message.pods.map((pod) => ({
      namespace: pod.namespace,
      name: pod.name,
      labels: pod.labels,
      timestamp: pod.timestamp,
      windowMs: pod.window_ms,
      containers: pod.containers.flatMap((c) => (c.usage ? [{ name: c.name, usage: usage(c.usage) }] : [])),
    })),
  };
}

// The latest resource usage of every node and pod, as metrics-server keeps it:
// in memory only (samples, not objects: nothing of it goes to etcd), replaced
// node by node as the scraper (resource-metrics-scraper.ts) reads the agents.
// The metrics API (metrics.k8s.io/v1beta1) and the HPA controller read it.
import {
  formatMemory,
  METRICS_API_VERSION,
  selectorFromLabelSelector,
  type LabelSelector,
  type NodeMetrics,
  type PodMetrics,
  type Selector,
} from '@skiff/api';

/** One node's scrape, in the agent's units. */
export interface NodeScrape {
  readonly node?: UsageInput;
  /** The Node's labels (ctl top nodes -l). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly pods: readonly PodScrape[];
}

export interface UsageInput {
  /** RFC 3339. */
  readonly timestamp: string;
  readonly windowMs: number;
  readonly cpuNanoCores: number;
  readonly memoryWorkingSetBytes: number;
}

export interface PodScrape {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly timestamp: string;
  readonly windowMs: number;
  readonly containers: readonly { readonly name: string; readonly usage: UsageInput }[];
}

interface NodeEntry {
  readonly scrapedAtMs: number;
  readonly node?: NodeMetrics;
  /** By namespace/name. */
  readonly pods: ReadonlyMap<string, PodMetrics>;
}

const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** metrics-server's spelling: CPU in nanocores ("12345678n"), memory exact (formatMemory: "12Mi", "1500"). */
export function cpuQuantity(nanoCores: number): string {
  return `${Math.max(0, Math.round(nanoCores))}n`;
}

export function memoryQuantity(bytes: number): string {
  return formatMemory(Math.max(0, Math.round(bytes)));
}

/** A window in Go's duration spelling, as metrics-server writes it: "5s", "5.012s". */
export function windowOf(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

export class ResourceMetricsStore {
  private readonly nodes = new Map<string, NodeEntry>();

  /** Replaces everything known from one node by its latest scrape. */
  replaceNode(nodeName: string, scrape: NodeScrape, scrapedAtMs: number): void {
    const pods = new Map<string, PodMetrics>();
    for (const pod of scrape.pods) {
      pods.set(podKey(pod.namespace, pod.name), {
        apiVersion: METRICS_API_VERSION,
        kind: 'PodMetrics',
        metadata: { name: pod.name, namespace: pod.namespace, labels: { ...pod.labels }, creationTimestamp: new Date(scrapedAtMs).toISOString() },
        timestamp: pod.timestamp,
        window: windowOf(pod.windowMs),
        containers: pod.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.usage.cpuNanoCores), memory: memoryQuantity(c.usage.memoryWorkingSetBytes) } })),
      });
    }
    const node: NodeMetrics | undefined = scrape.node && {
      apiVersion: METRICS_API_VERSION,
      kind: 'NodeMetrics',
      metadata: { name: nodeName, labels: { ...(scrape.labels ?? {}) }, creationTimestamp: new Date(scrapedAtMs).toISOString() },
      timestamp: scrape.node.timestamp,
      window: windowOf(scrape.node.windowMs),
      usage: { cpu: cpuQuantity(scrape.node.cpuNanoCores), memory: memoryQuantity(scrape.node.memoryWorkingSetBytes) },
    };
    this.nodes.set(nodeName, { scrapedAtMs, ...(node ? { node } : {}), pods });
  }

  /** Forgets a node (deleted, or no longer scraped). */
  removeNode(nodeName: string): void {
    this.nodes.delete(nodeName);
  }

  /** Forgets the nodes whose last successful scrape is older than `olderThanMs` (epoch ms); returns their names. */
  prune(olderThanMs: number): string[] {
    const pruned: string[] = [];
    for (const [name, entry] of this.nodes) {
      if (entry.scrapedAtMs < olderThanMs) {
        this.nodes.delete(name);
        pruned.push(name);
      }
    }
    return pruned;
  }

  /** The node names with metrics. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  podMetrics(namespace: string, name: string): PodMetrics | undefined {
    const key = podKey(namespace, name);
    let found: PodMetrics | undefined;
    // A pod re-created on another node may appear twice for a moment: the newest sample wins.
    for (const entry of this.nodes.values()) {
      const pod = entry.pods.get(key);
      if (pod && (!found || pod.timestamp > found.timestamp)) found = pod;
    }
    return found;
  }

  /**
   * The pods of `namespace` ("" for every namespace) whose labels `selector`
   * matches (an empty selector matches all), sorted by namespace and name.
   * What the HPA controller calls. Throws TypeError for a selector Kubernetes would reject.
   */
  listPodMetrics(namespace: string, selector: LabelSelector): PodMetrics[] {
    return this.selectPodMetrics(namespace === '' ? undefined : namespace, selectorFromLabelSelector(selector));
  }

  /** As listPodMetrics, with a parsed selector (the API's label_selector text); undefined namespace: all. */
  selectPodMetrics(namespace: string | undefined, selector: Selector): PodMetrics[] {
    const byKey = new Map<string, PodMetrics>();
    for (const entry of this.nodes.values()) {
      for (const [key, pod] of entry.pods) {
        if (namespace !== undefined && pod.metadata.namespace !== namespace) continue;
        if (!selector.matches(pod.metadata.labels)) continue;
        const other = byKey.get(key);
        if (!other || pod.timestamp > other.timestamp) byKey.set(key, pod);
      }
    }
    return [...byKey.values()].sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  }

  nodeMetrics(name: string): NodeMetrics | undefined {
    return this.nodes.get(name)?.node;
  }

  /** Every node's metrics, sorted by name. */
  listNodeMetrics(): NodeMetrics[] {
    return [...this.nodes.values()]
      .flatMap((entry) => (entry.node ? [entry.node] : []))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }
}

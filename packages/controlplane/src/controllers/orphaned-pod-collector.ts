// Pods bound to a Node that no longer exists (deleted with `ctl delete node`,
// or never re-joined) are deleted, like Kubernetes' pod garbage collector: a
// workload's controller then replaces them on a node that exists. The pod is
// looked at again after a quarantine, so a node that is deleted and joins again
// at once (re-join after revocation) keeps its pods, and the node's absence is
// confirmed with a read from the store before anything is deleted.
import { kindInfo, NotFoundError, type Node, type Pod } from '@skiff/api';
import { keyOf, runController, WorkQueue, type ControllerLogger, type Informer, type RunningController } from '../cache/index.js';
import type { ObjectStore } from '../objects/object-store.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
const BY_NODE = 'orphans:nodeName';
/** Kubernetes' podgc quarantine for pods of a deleted node. */
export const DEFAULT_ORPHAN_QUARANTINE_MS = 40_000;

export interface OrphanedPodCollectorOptions {
  readonly objects: ObjectStore;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly log: ControllerLogger;
  readonly quarantineMs?: number;
}

export class OrphanedPodCollector {
  private readonly queue = new WorkQueue();
  private running?: RunningController;

  constructor(private readonly options: OrphanedPodCollectorOptions) {}

  start(): void {
    const { pods, nodes } = this.options;
    const quarantine = this.options.quarantineMs ?? DEFAULT_ORPHAN_QUARANTINE_MS;
    if (!pods.hasIndex(BY_NODE)) pods.addIndex(BY_NODE, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
    // Every bound pod once at start (a node deleted while the control plane was down), then each node's pods when it goes.
    pods.addHandlers({
      onAdd: (pod) => {
        if (pod.spec.nodeName) this.queue.addAfter(keyOf(pod), quarantine);
      },
    });
    nodes.addHandlers({
      onDelete: (node) => {
        for (const pod of pods.byIndex(BY_NODE, node.metadata.name)) this.queue.addAfter(keyOf(pod), quarantine);
      },
    });
    this.running = runController({
      name: 'orphaned-pods',
      queue: this.queue,
      sync: (key) => this.sync(key),
      log: this.options.log,
      ready: Promise.all([pods.waitForSync(), nodes.waitForSync()]).then(() => undefined),
    });
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }

  /** Deletes the pod `key` if the node it is bound to does not exist. */
  async sync(key: string): Promise<void> {
    const pod = this.options.pods.get(key);
    const nodeName = pod?.spec.nodeName;
    if (!pod || !nodeName || this.options.nodes.get(nodeName)) return;
    if (await this.options.objects.get(NODE, undefined, nodeName)) return;
    const namespace = pod.metadata.namespace ?? 'default';
    try {
      await this.options.objects.delete(POD, namespace, pod.metadata.name, Number(pod.metadata.resourceVersion));
      this.options.log.info({ controller: 'orphaned-pods', pod: key, node: nodeName }, 'deleted a pod whose node no longer exists');
    } catch (error) {
      // Gone already is done; a lost compare-and-swap is retried, and the retry looks at the newer version.
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }
}

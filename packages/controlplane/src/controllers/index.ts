// The control plane's controllers, started together over the shared informers
// of one InformerFactory: one cache per kind, however many loops read it.
import type { Deployment, Node, Pod } from '@skiff/api';
import { silentLogger, type ControllerLogger, type InformerFactory } from '../cache/index.js';
import type { ObjectStore } from '../objects/object-store.js';
import { DeploymentController } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { OrphanedPodCollector } from './orphaned-pod-collector.js';

export { DeploymentController, type DeploymentControllerOptions } from './deployment-controller.js';
export { POD_TEMPLATE_HASH_LABEL, templateHash } from './deployment-pods.js';
export { Expectations, type ExpectationsOptions } from './expectations.js';
export { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector.js';
export { OrphanedPodCollector, type OrphanedPodCollectorOptions } from './orphaned-pod-collector.js';

export interface StartControllersOptions {
  readonly objects: ObjectStore;
  /** The control plane's one informer factory; the controllers add their handlers to its informers. */
  readonly informers: InformerFactory;
  /** pino's Logger fits. */
  readonly log?: ControllerLogger;
  /** Workers per controller (default 2 each). */
  readonly workers?: number;
}

export interface RunningControllers {
  /** Stops the controllers; in-flight syncs finish. The informers belong to the factory's owner. */
  stop(): Promise<void>;
}

/**
 * Starts the deployment controller, the garbage collector and the collector
 * of pods on deleted nodes on the factory's informers. Call before the factory's start(), so their
 * handlers see the initial lists; they act once the informers have synced.
 */
export function startControllers(options: StartControllersOptions): RunningControllers {
  const { objects, informers } = options;
  const log = options.log ?? silentLogger;
  const deployments = informers.informerFor<Deployment>('Deployment');
  const pods = informers.informerFor<Pod>('Pod');
  const workers = options.workers === undefined ? {} : { workers: options.workers };
  const deploymentController = new DeploymentController({ objects, deployments, pods, log, ...workers });
  const garbageCollector = new GarbageCollector({ objects, deployments, pods, log, ...workers });
  const orphans = new OrphanedPodCollector({ objects, pods, nodes: informers.informerFor<Node>('Node'), log });
  deploymentController.start();
  garbageCollector.start();
  orphans.start();

  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= Promise.all([deploymentController.stop(), garbageCollector.stop(), orphans.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';

// The control plane's controllers, started together over shared informers: one
// cache per kind, however many controllers read it.
import { kindInfo, type Deployment, type Pod } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { DeploymentController } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { Informer } from '../cache/informer.js';
import { silentLogger, type ControllerLogger } from '../cache/logger.js';

export { runController, type ControllerOptions, type RunningController } from '../cache/controller.js';
export { DeploymentController, type DeploymentControllerOptions } from './deployment-controller.js';
export { POD_TEMPLATE_HASH_LABEL, templateHash } from './deployment-pods.js';
export { Expectations, type ExpectationsOptions } from './expectations.js';
export { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector.js';
export {
  deepFreeze,
  Informer,
  keyOf,
  splitKey,
  thaw,
  type Immutable,
  type IndexFunction,
  type InformerHandlers,
  type InformerOptions,
} from '../cache/informer.js';
export { silentLogger, type ControllerLogger } from '../cache/logger.js';
export { WorkQueue, type WorkQueueOptions } from '../cache/work-queue.js';

export interface StartControllersOptions {
  readonly objects: ObjectStore;
  /** pino's Logger fits. */
  readonly log?: ControllerLogger;
  /** Workers per controller (default 2 each). */
  readonly workers?: number;
}

export interface RunningControllers {
  /**
   * The shared informers, for other loops (scheduler…) to read and add handlers
   * to instead of keeping a second cache; handlers added now are replayed the
   * current objects. stop() stops them too.
   */
  readonly informers: { readonly pods: Informer<Pod>; readonly deployments: Informer<Deployment> };
  /** Resolves once the informers hold a full copy of the store (controllers act only after that). */
  waitForSync(): Promise<void>;
  /** Stops the controllers (in-flight syncs finish), then the informers. */
  stop(): Promise<void>;
}

/**
 * Starts the pod and deployment informers, the deployment controller and the
 * garbage collector. Returns at once: the informers list and watch in the
 * background (retrying with back-off while the store is unreachable), and the
 * controllers begin once the informers have synced.
 */
export function startControllers(options: StartControllersOptions): RunningControllers {
  const { objects } = options;
  const log = options.log ?? silentLogger;
  const deployments = new Informer<Deployment>({ objects, info: kindInfo('Deployment'), log });
  const pods = new Informer<Pod>({ objects, info: kindInfo('Pod'), log });
  const workers = options.workers === undefined ? {} : { workers: options.workers };
  const deploymentController = new DeploymentController({ objects, deployments, pods, log, ...workers });
  const garbageCollector = new GarbageCollector({ objects, deployments, pods, log, ...workers });

  // Handlers first, so the informers' initial adds reach the controllers' queues.
  deploymentController.start();
  garbageCollector.start();
  deployments.start();
  pods.start();

  let stopping: Promise<void> | undefined;
  return {
    informers: { pods, deployments },
    waitForSync: async () => {
      await Promise.all([deployments.waitForSync(), pods.waitForSync()]);
    },
    stop: () => {
      stopping ??= (async () => {
        await Promise.all([deploymentController.stop(), garbageCollector.stop()]);
        await Promise.all([deployments.stop(), pods.stop()]);
      })();
      return stopping;
    },
  };
}

// The control plane's controllers, started together over the shared informers
// of one InformerFactory: one cache per kind, however many loops read it.
import type { Deployment, EndpointSlice, Node, Pod, Service } from '@skiff/api';
import { silentLogger, type ControllerLogger, type InformerFactory } from '../cache/index.js';
import { EventRecorder } from '../objects/event-recorder.js';
import type { ObjectStore } from '../objects/object-store.js';
import { EndpointSliceController } from './endpoint-slice-controller.js';
import { LoadBalancerStatusController } from './load-balancer-status-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { OrphanedPodCollector } from './orphaned-pod-collector.js';

export { DeploymentController, type DeploymentControllerOptions } from './deployment-controller.js';
export { POD_TEMPLATE_HASH_LABEL, templateHash } from './deployment-pods.js';
export { Expectations, type ExpectationsOptions } from './expectations.js';
export { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector.js';
export { EndpointSliceController, type EndpointSliceControllerOptions } from './endpoint-slice-controller.js';
export { ENDPOINT_SLICE_CONTROLLER_NAME, MAX_ENDPOINTS_PER_SLICE } from './endpoint-slices.js';
export { LoadBalancerStatusController, type LoadBalancerStatusControllerOptions } from './load-balancer-status-controller.js';
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
 * Starts the deployment controller, the garbage collector, the collector
 * of pods on deleted nodes, the EndpointSlice controller and the LoadBalancer
 * status controller on the factory's informers. Call before the factory's start(), so their
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
  const services = informers.informerFor<Service>('Service');
  const nodes = informers.informerFor<Node>('Node');
  const endpointSlices = new EndpointSliceController({
    objects,
    services,
    pods,
    slices: informers.informerFor<EndpointSlice>('EndpointSlice'),
    events: new EventRecorder(objects),
    log,
    ...workers,
  });
  const loadBalancers = new LoadBalancerStatusController({ objects, services, nodes, log });
  deploymentController.start();
  garbageCollector.start();
  orphans.start();
  endpointSlices.start();
  loadBalancers.start();

  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= Promise.all([deploymentController.stop(), garbageCollector.stop(), orphans.stop(), endpointSlices.stop(), loadBalancers.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';

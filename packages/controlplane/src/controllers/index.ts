// The control plane's controllers, started together over the shared informers
// of one InformerFactory: one cache per kind, however many loops read it.
import type { CronJob, DaemonSet, Deployment, EndpointSlice, HorizontalPodAutoscaler, Job, KindName, Node, Pod, ReplicaSet, ResourceObject, Service } from '@skiff/api';
import { silentLogger, type ControllerLogger, type InformerSource } from '../cache/index.js';
import { EventRecorder } from '../objects/event-recorder.js';
import type { ObjectStore } from '../objects/object-store.js';
import { EndpointSliceController } from './endpoint-slice-controller.js';
import { LoadBalancerStatusController } from './load-balancer-status-controller.js';
import { DaemonSetController } from './daemon-set-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { OwnerFinalizers } from './owner-finalizers.js';
import type { QueueController } from './queue-controller.js';
import { OWNER_KINDS, type OwnerKind } from '../objects/object-deletion.js';
import type { Informer } from '../cache/informer.js';
import { HorizontalPodAutoscalerController } from './horizontal-pod-autoscaler-controller.js';
import type { PodMetricsSource } from './pod-metrics-source.js';
import { OrphanedPodCollector } from './orphaned-pod-collector.js';
import { ReplicaSetController } from './replica-set-controller.js';
import { JobController } from './job-controller.js';
import { CronJobController } from './cronjob-controller.js';

export { DeploymentController, type DeploymentControllerOptions } from './deployment-controller.js';
export { ReplicaSetController, type ReplicaSetControllerOptions } from './replica-set-controller.js';
export { DaemonSetController, type DaemonSetControllerOptions } from './daemon-set-controller.js';
export { JobController, type JobControllerOptions } from './job-controller.js';
export { CronJobController, type CronJobControllerOptions } from './cronjob-controller.js';
export { computeTemplateHash } from './pod-template-hash.js';
export { Expectations, type ExpectationsOptions } from './expectations.js';
export { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector.js';
export { OwnerFinalizers, type OwnerFinalizersOptions } from './owner-finalizers.js';
export { EndpointSliceController, type EndpointSliceControllerOptions } from './endpoint-slice-controller.js';
export { ENDPOINT_SLICE_CONTROLLER_NAME, MAX_ENDPOINTS_PER_SLICE } from './endpoint-slices.js';
export { LoadBalancerStatusController, type LoadBalancerStatusControllerOptions } from './load-balancer-status-controller.js';
export { OrphanedPodCollector, type OrphanedPodCollectorOptions } from './orphaned-pod-collector.js';
export { HorizontalPodAutoscalerController, DEFAULT_HPA_RESYNC_MS, type HorizontalPodAutoscalerControllerOptions } from './horizontal-pod-autoscaler-controller.js';
export type { PodMetricsSource } from './pod-metrics-source.js';

export interface StartControllersOptions {
  readonly objects: ObjectStore;
  /** The control plane's one informer factory; the controllers add their handlers to its informers. */
  readonly informers: InformerSource;
  /** pino's Logger fits. */
  readonly log?: ControllerLogger;
  /** Workers per controller (default 2 each). */
  readonly workers?: number;
  /** Pod usage samples (the control plane's ResourceMetricsStore); without it no HorizontalPodAutoscaler controller runs. */
  readonly podMetrics?: PodMetricsSource;
  /** The HorizontalPodAutoscaler controller's period and clock (defaults: 15 s, Date.now). */
  readonly hpa?: { readonly resyncMs?: number; readonly now?: () => number };
  /** The Job controller's first back-off after a pod failure (default 10 s, as Kubernetes). */
  readonly jobBackoffBaseMs?: number;
}

export interface RunningControllers {
  /** Stops the controllers; in-flight syncs finish. The informers belong to the factory's owner. */
  stop(): Promise<void>;
}

/**
 * Starts the deployment, ReplicaSet and DaemonSet controllers, the garbage collectors, the collector
 * of pods on deleted nodes, the EndpointSlice controller and the LoadBalancer
 * status controller (and, given podMetrics, the HorizontalPodAutoscaler controller) on the factory's informers. Call before the factory's start(), so their
 * handlers see the initial lists; they act once the informers have synced.
 */
export function startControllers(options: StartControllersOptions): RunningControllers {
  const { objects, informers } = options;
  const log = options.log ?? silentLogger;
  const deployments = informers.informerFor<Deployment>('Deployment');
  const pods = informers.informerFor<Pod>('Pod');
  const workers = options.workers === undefined ? {} : { workers: options.workers };
  const replicaSets = informers.informerFor<ReplicaSet>('ReplicaSet');
  const jobs = informers.informerFor<Job>('Job');
  const cronJobs = informers.informerFor<CronJob>('CronJob');
  const deploymentController = new DeploymentController({ objects, deployments, replicaSets, pods, log, ...workers });
  const replicaSetController = new ReplicaSetController({ objects, replicaSets, pods, log, ...workers });
  const daemonSets = informers.informerFor<DaemonSet>('DaemonSet');
  const daemonSetController = new DaemonSetController({ objects, daemonSets, pods, nodes: informers.informerFor<Node>('Node'), events: new EventRecorder(objects), log, ...workers });
  // One collector per edge of the owner chain (Deployment → Pod: pods of an older Skiff, owned directly).
  const edges: { owner: OwnerKind; owners: Informer<ResourceObject>; dependent: KindName; dependents: Informer<ResourceObject> }[] = [
    { owner: 'Deployment', owners: asObjects(deployments), dependent: 'ReplicaSet', dependents: asObjects(replicaSets) },
    { owner: 'ReplicaSet', owners: asObjects(replicaSets), dependent: 'Pod', dependents: asObjects(pods) },
    { owner: 'Deployment', owners: asObjects(deployments), dependent: 'Pod', dependents: asObjects(pods) },
    { owner: 'DaemonSet', owners: asObjects(daemonSets), dependent: 'Pod', dependents: asObjects(pods) },
    { owner: 'Job', owners: asObjects(jobs), dependent: 'Pod', dependents: asObjects(pods) },
    { owner: 'CronJob', owners: asObjects(cronJobs), dependent: 'Job', dependents: asObjects(jobs) },
  ];
  const collectors: QueueController[] = edges.map(
    (edge) => new GarbageCollector({ objects, dependentKind: edge.dependent, dependents: edge.dependents, ownerKind: edge.owner, owners: edge.owners, log, ...workers }),
  );
  // The owners' side (Orphan and Foreground deletion): one per owner kind, over all of its edges.
  for (const owner of OWNER_KINDS) {
    const mine = edges.filter((edge) => edge.owner === owner);
    const owners = mine[0]?.owners;
    if (!owners) continue;
    collectors.push(new OwnerFinalizers({ objects, ownerKind: owner, owners, dependents: mine.map((edge) => ({ kind: edge.dependent, informer: edge.dependents })), log, ...workers }));
  }
  const jobController = new JobController({ objects, jobs, pods, events: new EventRecorder(objects), log, ...workers, ...(options.jobBackoffBaseMs === undefined ? {} : { backoffBaseMs: options.jobBackoffBaseMs }) });
  const cronJobController = new CronJobController({ objects, cronJobs, jobs, events: new EventRecorder(objects), log, ...workers });
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
  const autoscalers = options.podMetrics
    ? [
        new HorizontalPodAutoscalerController({
          objects,
          hpas: informers.informerFor<HorizontalPodAutoscaler>('HorizontalPodAutoscaler'),
          deployments,
          replicaSets,
          pods,
          podMetrics: options.podMetrics,
          events: new EventRecorder(objects),
          log,
          ...workers,
          ...(options.hpa?.resyncMs === undefined ? {} : { resyncMs: options.hpa.resyncMs }),
          ...(options.hpa?.now === undefined ? {} : { now: options.hpa.now }),
        }),
      ]
    : [];
  deploymentController.start();
  replicaSetController.start();
  daemonSetController.start();
  jobController.start();
  cronJobController.start();
  for (const collector of collectors) collector.start();
  orphans.start();
  endpointSlices.start();
  loadBalancers.start();
  for (const autoscaler of autoscalers) autoscaler.start();

  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= Promise.all([deploymentController.stop(), replicaSetController.stop(), daemonSetController.stop(), jobController.stop(), cronJobController.stop(), ...collectors.map((c) => c.stop()), orphans.stop(), endpointSlices.stop(), loadBalancers.stop(), ...autoscalers.map((a) => a.stop())]).then(() => undefined);
      return stopping;
    },
  };
}
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';

/** The informers of the collectors' edges, typed as the objects they hold (a collector reads only metadata). */
function asObjects<T extends ResourceObject>(informer: Informer<T>): Informer<ResourceObject> {
  return informer as unknown as Informer<ResourceObject>;
}

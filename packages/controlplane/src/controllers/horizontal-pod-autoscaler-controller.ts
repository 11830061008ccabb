// HorizontalPodAutoscaler → the spec.replicas of its target, as Kubernetes'
// HPA controller: every resync period (15 s) each HPA's target is read from
// the cache, its pods' latest samples from the PodMetricsSource, and
// hpa-decision.ts decides the new size (replica arithmetic in
// hpa-replica-calculator.ts, stabilization and rate limits in
// hpa-behavior.ts). The scale is written with compare-and-swap on the
// target's resourceVersion as cached (a stale cache loses, and the sync is
// retried from a fresher one), the status (currentReplicas, desiredReplicas,
// lastScaleTime, currentMetrics, conditions) with compare-and-swap too, and
// every rescale is a SuccessfulRescale event.
//
// Handlers only queue keys: an HPA's add, a change of its spec (generation),
// its deletion. Status-only updates (our own writes) do not, so an HPA is
// evaluated once per period, plus at once when created or edited. The
// recommendation and scale-event history lives in memory, by HPA uid, as in
// Kubernetes (a restarted controller starts a new stabilization window).
import {
  ConflictError,
  kindInfo,
  toTimestamp,
  type Deployment,
  type HorizontalPodAutoscaler,
  type HorizontalPodAutoscalerStatus,
  type LabelSelector,
  type Pod,
  type ReplicaSet,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { EventRecorder } from '../objects/event-recorder.js';
import { EMPTY_HISTORY, type ScalingHistory } from './hpa-behavior.js';
import { setCondition } from './hpa-conditions.js';
import { afterFailedRescale, afterRescale, decide, unchangedStatus, type DecisionInput, type DecisionOptions, type HpaEvent } from './hpa-decision.js';
import { DEFAULT_CPU_INITIALIZATION_PERIOD_MS, DEFAULT_INITIAL_READINESS_DELAY_MS, DEFAULT_TOLERANCE, selectedPods } from './hpa-replica-calculator.js';
import type { PodMetricsSource } from './pod-metrics-source.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { writeStatus, type WriteStatusOptions } from './status-writer.js';

const HPA = kindInfo('HorizontalPodAutoscaler');
/** Kubernetes' --horizontal-pod-autoscaler-sync-period. */
export const DEFAULT_HPA_RESYNC_MS = 15_000;
const COMPONENT = 'horizontal-pod-autoscaler';

export interface HorizontalPodAutoscalerControllerOptions extends QueueControllerOptions {
  readonly hpas: Informer<HorizontalPodAutoscaler>;
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly podMetrics: PodMetricsSource;
  readonly events: EventRecorder;
  /** How often each HPA is evaluated (default 15 s). */
  readonly resyncMs?: number;
  /** The clock of stabilization windows, scale policies, CPU initialization and lastScaleTime (default Date.now). */
  readonly now?: () => number;
  readonly tolerance?: number;
  readonly cpuInitializationPeriodMs?: number;
  readonly initialReadinessDelayMs?: number;
}

type Target = Immutable<Deployment> | Immutable<ReplicaSet>;

export class HorizontalPodAutoscalerController extends QueueController {
  private readonly hpas: Informer<HorizontalPodAutoscaler>;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly podMetrics: PodMetricsSource;
  private readonly events: EventRecorder;
  private readonly resyncMs: number;
  private readonly now: () => number;
  private readonly decisionOptions: DecisionOptions;
  private readonly statusWrites: WriteStatusOptions<HorizontalPodAutoscaler> = { objects: this.objects, kind: HPA };
  private readonly histories = new Map<string, { readonly uid: string; readonly history: ScalingHistory }>();
  /** When this controller saw each pod's Ready status change, by pod uid (for conditions without a lastTransitionTime). */
  private readonly readySeen = new Map<string, { readonly status: string; readonly atMs: number }>();

  constructor(options: HorizontalPodAutoscalerControllerOptions) {
    super('horizontal-pod-autoscaler', options, [options.hpas, options.deployments, options.replicaSets, options.pods]);
    this.hpas = options.hpas;
    this.deployments = options.deployments;
    this.replicaSets = options.replicaSets;
    this.pods = options.pods;
    this.podMetrics = options.podMetrics;
    this.events = options.events;
    this.resyncMs = options.resyncMs ?? DEFAULT_HPA_RESYNC_MS;
    this.now = options.now ?? Date.now;
    this.decisionOptions = {
      tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
      cpuInitializationPeriodMs: options.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
      initialReadinessDelayMs: options.initialReadinessDelayMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS,
      readyTransitionMs: (pod) => (pod.metadata.uid ? this.readySeen.get(pod.metadata.uid)?.atMs : undefined),
    };
  }

  protected registerHandlers(): void {
    this.hpas.addHandlers({
      onAdd: (hpa) => this.queue.add(keyOf(hpa)),
      onUpdate: (previous, current) => {
        if (previous.metadata.generation !== current.metadata.generation || previous.metadata.uid !== current.metadata.uid) this.queue.add(keyOf(current));
      },
      onDelete: (hpa) => this.queue.add(keyOf(hpa)),
    });
    // Bookkeeping only (no keys): pods are read at the next resync.
    this.pods.addHandlers({
      onAdd: (pod) => this.noteReady(pod),
      onUpdate: (_previous, pod) => this.noteReady(pod),
      onDelete: (pod) => {
        if (pod.metadata.uid) this.readySeen.delete(pod.metadata.uid);
      },
    });
  }

  /** Remembers when a pod's Ready status was seen to change (Kubernetes reads the condition's lastTransitionTime; Skiff's agents write none). */
  private noteReady(pod: Immutable<Pod>): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const status = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
    if (this.readySeen.get(uid)?.status !== status) this.readySeen.set(uid, { status, atMs: this.now() });
  }

  async sync(key: string): Promise<void> {
    const hpa = this.hpas.get(key);
    if (!hpa || !hpa.metadata.uid) {
      this.histories.delete(key);
      return;
    }
    if (hpa.metadata.deletionTimestamp !== undefined) return;
    try {
      await this.reconcile(key, hpa);
    } finally {
      this.queue.addAfter(key, this.resyncMs);
    }
  }

  private async reconcile(key: string, hpa: Immutable<HorizontalPodAutoscaler>): Promise<void> {
    const uid = hpa.metadata.uid ?? '';
    const namespace = hpa.metadata.namespace ?? 'default';
    const nowMs = this.now();
    const target = this.targetOf(hpa);
    if (!target) {
      await this.targetMissing(hpa, nowMs);
      return;
    }
    const remembered = this.histories.get(key);
    const input: DecisionInput = {
      hpa,
      currentReplicas: target.spec.replicas,
      pods: selectedPods(this.pods.listBy((pod) => (pod.metadata.namespace ?? 'default') === namespace), namespace, target.spec.selector),
      samples: this.podMetrics.listPodMetrics(namespace, thaw<LabelSelector>(target.spec.selector)),
      history: remembered?.uid === uid ? remembered.history : EMPTY_HISTORY,
      nowMs,
      options: this.decisionOptions,
    };
    const decision = decide(input);
    this.histories.set(key, { uid, history: decision.history });
    let status: HorizontalPodAutoscalerStatus;
    let events: HpaEvent[];
    if (decision.rescale) {
      try {
        await this.writeScale(target, decision.rescale.replicas);
      } catch (error) {
        // A stale cache lost the compare-and-swap: decide again from a fresher one, quietly.
        if (error instanceof ConflictError) throw error;
        const failed = afterFailedRescale(input, decision, error instanceof Error ? error.message : String(error));
        await writeStatus(hpa, () => failed.status, this.statusWrites);
        await this.record(hpa, failed.events);
        throw error;
      }
      const done = afterRescale(input, decision);
      this.histories.set(key, { uid, history: done.history });
      this.log.info({ controller: this.name, key, from: decision.currentReplicas, to: decision.rescale.replicas, reason: decision.rescale.reason }, 'rescaled');
      status = done.status;
      events = done.events;
    } else {
      status = unchangedStatus(input, decision);
      events = decision.events;
    }
    await writeStatus(hpa, () => status, this.statusWrites);
    await this.record(hpa, events);
  }

  private targetOf(hpa: Immutable<HorizontalPodAutoscaler>): Target | undefined {
    const { kind, name } = hpa.spec.scaleTargetRef;
    const key = `${hpa.metadata.namespace ?? 'default'}/${name}`;
    const target = kind === 'Deployment' ? this.deployments.get(key) : kind === 'ReplicaSet' ? this.replicaSets.get(key) : undefined;
    return target && target.metadata.deletionTimestamp === undefined ? target : undefined;
  }

  /** AbleToScale False (FailedGetScale), as Kubernetes reports a target it cannot read; the event once per failure. */
  private async targetMissing(hpa: Immutable<HorizontalPodAutoscaler>, nowMs: number): Promise<void> {
    const { kind, name } = hpa.spec.scaleTargetRef;
    const info = kindInfo(kind);
    // Kubernetes' words for it: deployments.apps "web" not found.
    const error = `${info.plural}.${info.apiVersion.split('/')[0] ?? ''} "${name}" not found`;
    const message = `the HPA controller was unable to get the target's current scale: ${error}`;
    const before = hpa.status?.conditions?.find((c) => c.type === 'AbleToScale');
    const conditions = setCondition(hpa.status?.conditions ?? [], 'AbleToScale', 'False', 'FailedGetScale', message, toTimestamp(new Date(nowMs)));
    const status: HorizontalPodAutoscalerStatus = {
      ...thaw<HorizontalPodAutoscalerStatus>(hpa.status ?? { currentReplicas: 0, desiredReplicas: 0 }),
      ...(hpa.metadata.generation === undefined ? {} : { observedGeneration: hpa.metadata.generation }),
      conditions,
    };
    await writeStatus(hpa, () => status, this.statusWrites);
    if (before?.message !== message) await this.record(hpa, [{ type: 'Warning', reason: 'FailedGetScale', message: error }]);
  }

  /** The scale subresource's write: spec.replicas (and the generation, as the API's scale does), compare-and-swap on the cached revision. */
  private async writeScale(target: Target, replicas: number): Promise<void> {
    const info = kindInfo(target.kind);
    const copy = thaw<Deployment | ReplicaSet>(target as Immutable<Deployment | ReplicaSet>);
    const scaled = {
      ...copy,
      metadata: { ...copy.metadata, generation: (copy.metadata.generation ?? 1) + 1 },
      spec: { ...copy.spec, replicas },
    };
    await this.objects.update(info, scaled, Number(copy.metadata.resourceVersion));
  }

  private async record(hpa: Immutable<HorizontalPodAutoscaler>, events: readonly HpaEvent[]): Promise<void> {
    for (const event of events) {
      await this.events.record({ involved: thaw<HorizontalPodAutoscaler>(hpa), type: event.type, reason: event.reason, message: event.message, component: COMPONENT });
    }
  }
}

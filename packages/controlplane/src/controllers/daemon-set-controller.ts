// DaemonSet → one pod per node, as Kubernetes' DaemonSet controller: for each
// DaemonSet, sync(key) judges every node (nodeSelector, taints against the
// template's tolerations plus the daemon ones), creates the pod a node lacks,
// deletes pods on nodes that may no longer keep them, replaces old pods node
// by node within maxUnavailable (RollingUpdate; OnDelete waits for the user
// to delete them), and writes the status.
//
// Skiff's scheduler has no node affinity, so daemon pods are created bound
// (spec.nodeName) after the controller has checked that they fit the node's
// allocatable resources, as the scheduler's filters would.
//
// Writes are compare-and-swap: creates are create-if-absent, deletes carry
// the revision the sync read (graceful, through deletePod), status updates
// retry on conflict. Expectations keep a sync from acting before the informer
// has seen the previous sync's creates and deletes.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  AlreadyExistsError,
  kindInfo,
  NotFoundError,
  type DaemonSet,
  type Node,
  type Pod,
  type PodSpec,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { EventRecorder } from '../objects/event-recorder.js';
import { deletePod } from '../objects/pod-deletion.js';
import {
  buildDaemonPod,
  computeDaemonSetStatus,
  daemonPodSpec,
  maxUnavailableOf,
  nodeShouldRunDaemonPod,
  planDaemonPods,
  planRollingUpdate,
  podsByNode,
  resourceMisfit,
} from './daemon-set-nodes.js';
import { Expectations } from './expectations.js';
import { computeTemplateHash } from './pod-template-hash.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import {
  controllerRef,
  CONTROLLER_UID_INDEX,
  ensureControllerUidIndex,
  isPodAvailable,
  isPodReady,
  newPodName,
  readySinceMs,
} from './replica-set-pods.js';
import { writeStatus } from './status-writer.js';
import { ownedPodHandlers } from './owned-pod-handlers.js';

const POD = kindInfo('Pod');
const DAEMON_SET = kindInfo('DaemonSet');
/** Pod informer index: pods by the node they are bound to (to check what else a node runs). */
const PODS_BY_NODE_INDEX = 'daemonset:nodeName';
const NAME_ATTEMPTS = 3;
const COMPONENT = 'daemonset-controller';
/** Kubernetes' failedPodsBackoff: 1 s, doubling, at most 15 min, before a node's failed daemon pod is replaced. */
const FAILED_POD_BACKOFF_INITIAL_MS = 1000;
const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

export interface DaemonSetControllerOptions extends QueueControllerOptions {
  readonly daemonSets: Informer<DaemonSet>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  /** Events (SuccessfulCreate, SuccessfulDelete, FailedPlacement); none when absent. */
  readonly events?: EventRecorder;
  /** See Expectations (default 60 s). */
  readonly expectationsTimeoutMs?: number;
  /** Injected for tests: minReadySeconds is measured on it. */
  readonly now?: () => number;
}

export class DaemonSetController extends QueueController {
  private readonly daemonSets: Informer<DaemonSet>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly events: EventRecorder | undefined;
  private readonly expectations: Expectations;
  private readonly now: () => number;
  /** When a pod whose Ready condition carries no lastTransitionTime was first seen Ready, by pod uid. */
  private readonly firstSeenReady = new Map<string, number>();
  /** Per DaemonSet uid and node: the back-off after a daemon pod failed there. */
  private readonly failedBackoff = new Map<string, { delayMs: number; untilMs: number }>();

  constructor(options: DaemonSetControllerOptions) {
    super('daemonset', options, [options.daemonSets, options.pods, options.nodes]);
    this.daemonSets = options.daemonSets;
    this.pods = options.pods;
    this.nodes = options.nodes;
    this.events = options.events;
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations({
      now: this.now,
      ...(options.expectationsTimeoutMs === undefined ? {} : { timeoutMs: options.expectationsTimeoutMs }),
    });
    ensureControllerUidIndex(this.pods);
    if (!this.pods.hasIndex(PODS_BY_NODE_INDEX)) this.pods.addIndex(PODS_BY_NODE_INDEX, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
  }

  protected registerHandlers(): void {
    this.daemonSets.addHandlers({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (previous, current) => {
        if (previous.metadata.uid !== current.metadata.uid) this.expectations.forget(keyOf(current));
        this.queue.add(keyOf(current));
      },
      onDelete: (ds) => {
        this.expectations.forget(keyOf(ds));
        for (const key of this.failedBackoff.keys()) if (key.startsWith(`${ds.metadata.uid ?? ''}/`)) this.failedBackoff.delete(key);
        this.queue.add(keyOf(ds));
      },
    });
    // Any node change may change where daemon pods belong (labels, taints, allocatable, a node joining or leaving).
    this.nodes.addHandlers({
      onAdd: () => this.enqueueAll(),
      onUpdate: (previous, current) => {
        if (
          !isDeepStrictEqual(previous.metadata.labels, current.metadata.labels) ||
          !isDeepStrictEqual(previous.spec.taints, current.spec.taints) ||
          !isDeepStrictEqual(previous.status?.allocatable, current.status?.allocatable) ||
          readyStatus(previous) !== readyStatus(current)
        ) {
          this.enqueueAll();
        }
      },
      onDelete: () => this.enqueueAll(),
    });
    this.pods.addHandlers(
      ownedPodHandlers({
        expectations: this.expectations,
        ownerKey: (pod) => this.ownerKey(pod),
        enqueue: (key) => this.queue.add(key),
        seen: (pod) => this.noteReady(pod),
        gone: (pod) => {
          if (pod.metadata.uid) this.firstSeenReady.delete(pod.metadata.uid);
        },
      }),
    );
  }

  /** Brings one DaemonSet's pods and status in line with its spec and the nodes; throws to be retried with back-off. */
  async sync(key: string): Promise<void> {
    const ds = this.daemonSets.get(key);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    const uid = ds.metadata.uid;
    if (!uid || ds.metadata.deletionTimestamp !== undefined) return;
    const namespace = ds.metadata.namespace ?? 'default';
    const hash = computeTemplateHash(ds.spec.template);
    const spec = daemonPodSpec(ds);
    const placementOf = (node: Immutable<Node>) => nodeShouldRunDaemonPod(node, spec);
    const nodes = this.nodes.list();
    const owned = this.pods
      .byIndex(CONTROLLER_UID_INDEX, uid)
      .filter((pod) => (pod.metadata.namespace ?? 'default') === namespace && this.ownerKey(pod)?.uid === uid);
    const byNode = podsByNode(owned);
    const readySince = (pod: Immutable<Pod>) => readySinceMs(pod, pod.metadata.uid ? this.firstSeenReady.get(pod.metadata.uid) : undefined);

    const errors: unknown[] = [];
    if (this.expectations.satisfied(key, uid)) {
      try {
        // No await between reading the cache above and recording expectations in manage().
        const wrote = await this.manage(key, ds, nodes, byNode, spec, hash);
        if (!wrote && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
          const desired = nodes.filter((node) => placementOf(node).shouldRun).length;
          const minReadySeconds = ds.spec.minReadySeconds ?? 0;
          const available = (pod: Immutable<Pod>) => isPodAvailable(readySince(pod), minReadySeconds, this.now());
          const old = planRollingUpdate(byNode, hash, maxUnavailableOf(ds, desired), available);
          await this.deletePods(key, ds, old);
        }
      } catch (error) {
        errors.push(error);
      }
    } else {
      this.queue.addAfter(key, this.expectations.remainingMs(key, uid));
    }
    // Status is written even when pods could not be managed: it reports what is.
    const { status, recheckAtMs } = computeDaemonSetStatus(ds, { nodes, byNode, placementOf, hash, readySince, nowMs: this.now() });
    await writeStatus(ds, (base) => ({ ...base.status, ...status }), { objects: this.objects, kind: DAEMON_SET });
    if (recheckAtMs !== undefined) this.queue.addAfter(key, Math.max(1, recheckAtMs - this.now()));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `daemonset ${key}: ${errors.length} pod writes failed`);
  }

  /** Creates and deletes per node; true when it issued any write. */
  private async manage(
    key: string,
    ds: Immutable<DaemonSet>,
    nodes: readonly Immutable<Node>[],
    byNode: ReadonlyMap<string, readonly Immutable<Pod>[]>,
    spec: PodSpec,
    hash: string,
  ): Promise<boolean> {
    const misfit = (node: Immutable<Node>) => {
      const others = this.pods
        .byIndex(PODS_BY_NODE_INDEX, node.metadata.name)
        .filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed');
      return resourceMisfit(node, spec, others);
    };
    const plan = planDaemonPods(nodes, byNode, (node) => nodeShouldRunDaemonPod(node, spec), misfit, hash);
    for (const { node, reason } of plan.failedPlacements) {
      this.event(ds, 'Warning', 'FailedPlacement', `failed to place pod on "${node}": ${reason}`);
    }
    const uid = ds.metadata.uid ?? '';
    for (const node of plan.failed) {
      const delayMs = this.backOff(uid, node);
      this.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod on node ${node}, will try to kill it (replaced after ${Math.round(delayMs / 1000)}s)`);
    }
    // A node whose pod failed gets its next one once its back-off has passed (Kubernetes' failedPodsBackoff).
    const now = this.now();
    const waiting = plan.create.flatMap((node) => {
      const until = this.failedBackoff.get(`${uid}/${node}`)?.untilMs ?? 0;
      return until > now ? [until] : [];
    });
    if (waiting.length > 0) this.queue.addAfter(key, Math.max(1, Math.min(...waiting) - now));
    const createOn = plan.create.filter((node) => (this.failedBackoff.get(`${uid}/${node}`)?.untilMs ?? 0) <= now);
    if (createOn.length === 0 && plan.delete.length === 0) return false;
    const creates = createOn.map((node) => ({ node, name: newPodName(ds.metadata.name) }));
    if (creates.length > 0) this.expectations.expectCreations(key, uid, creates.map((c) => c.name));
    this.log.debug({ controller: this.name, key, create: creates.length, delete: plan.delete.length }, 'reconciling daemonset pods');
    const results = await Promise.allSettled([
      this.deletePods(key, ds, plan.delete),
      ...creates.map(({ node, name }) => this.createPod(key, ds, node, name, hash)),
    ]);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `daemonset ${key}: ${errors.length} pod writes failed`);
    return true;
  }

  private async deletePods(key: string, ds: Immutable<DaemonSet>, pods: readonly Immutable<Pod>[]): Promise<void> {
    if (pods.length === 0) return;
    const uid = ds.metadata.uid ?? '';
    this.expectations.expectDeletions(key, uid, pods.map((pod) => pod.metadata.name));
    const errors: unknown[] = [];
    await Promise.all(
      pods.map(async (pod) => {
        const { name } = pod.metadata;
        try {
          // Graceful, as the API's delete: the pod's agent stops it (preStop, SIGTERM, grace period).
          const { removed } = await deletePod(this.objects, pod.metadata.namespace ?? 'default', name, {
            expectedRevision: Number(pod.metadata.resourceVersion),
            ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
          });
          this.log.info({ controller: this.name, key, pod: name, node: pod.spec.nodeName, removed }, removed ? 'deleted pod' : 'pod marked for graceful deletion');
          this.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (error) {
          // No delete event will come for a write that failed: lower the expectation here.
          this.expectations.deletionObserved(key, uid, name);
          if (!(error instanceof NotFoundError)) errors.push(error);
        }
      }),
    );
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `daemonset ${key}: ${errors.length} pod deletes failed`);
  }

  private async createPod(key: string, ds: Immutable<DaemonSet>, node: string, firstName: string, hash: string): Promise<void> {
    const uid = ds.metadata.uid ?? '';
    let name = firstName;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.objects.create(POD, buildDaemonPod(ds, name, node, hash, new Date(this.now()), randomUUID()));
        this.log.info({ controller: this.name, key, pod: name, node }, 'created pod');
        this.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
        return;
      } catch (error) {
        this.expectations.creationObserved(key, uid, name);
        if (!(error instanceof AlreadyExistsError) || attempt >= NAME_ATTEMPTS) throw error;
        name = newPodName(ds.metadata.name);
        this.expectations.expectCreations(key, uid, [name]);
      }
    }
  }

  /** Events are a courtesy: one that cannot be written never fails a sync. */
  private event(ds: Immutable<DaemonSet>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (!this.events) return;
    this.events.record({ involved: thaw<DaemonSet>(ds), type, reason, message, component: COMPONENT }).catch((error: unknown) => {
      this.log.warn({ controller: this.name, daemonSet: keyOf(ds), reason, err: error }, 'could not record event');
    });
  }

  /** Records a failure on the node: the back-off doubles if the last one was recent, else starts again; returns it. */
  private backOff(uid: string, node: string): number {
    const key = `${uid}/${node}`;
    const now = this.now();
    const previous = this.failedBackoff.get(key);
    const recent = previous !== undefined && now - previous.untilMs < 2 * FAILED_POD_BACKOFF_MAX_MS;
    const delayMs = recent ? Math.min(FAILED_POD_BACKOFF_MAX_MS, previous.delayMs * 2) : FAILED_POD_BACKOFF_INITIAL_MS;
    this.failedBackoff.set(key, { delayMs, untilMs: now + delayMs });
    return delayMs;
  }

  private noteReady(pod: Immutable<Pod>): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (!isPodReady(pod)) {
      this.firstSeenReady.delete(uid);
      return;
    }
    if (!this.firstSeenReady.has(uid)) this.firstSeenReady.set(uid, this.now());
  }

  private enqueueAll(): void {
    for (const ds of this.daemonSets.list()) this.queue.add(keyOf(ds));
  }

  private ownerKey(pod: Immutable<Pod>): { key: string; uid: string } | undefined {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'DaemonSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    return { key: `${pod.metadata.namespace ?? 'default'}/${ref.name}`, uid: ref.uid };
  }
}

/** The node's Ready condition status (new daemon pods wait for True: see effectiveTaints). */
function readyStatus(node: Immutable<Node>): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

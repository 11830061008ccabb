// The agent's control loop, level-triggered: on every change and on a steady
// tick it compares the pods bound to this node with the containers the runtime
// has, and closes the gap — start what is missing, restart per restartPolicy
// with exponential back-off, stop and remove what is no longer ours — then
// reports each pod's status when it changed. What it does is told as kubelet
// tells it, through the PodEventSink: Pulling, Pulled, Failed, BackOff,
// Created, Started, Killing.
import { isDeepStrictEqual } from 'node:util';
import { backoffDelay, messageOf, type Container, type Pod, type PodStatus, type RestartPolicy } from '@skiff/api/core';
import pLimit from 'p-limit';
import { attemptOf, LABEL } from './container-labels.js';
import { ensureContainerImage, ImageError } from './container-image.js';
import { buildContainerSpec, ContainerConfigError } from './container-spec-builder.js';
import type { ResolvedEnv } from './env/container-env.js';
import { VolumeSetupError } from './volumes/config-volumes.js';
import { containerEvents } from './events/container-events.js';
import { DISCARD_POD_EVENTS, type PodEventSink } from './events/pod-events.js';
import type { PodNetworkAttachment } from './network/pod-network.js';
import { evictedPodStatus, PodTerminations, stoppedPodStatus, withStopSignal } from './pod-termination.js';
import { buildPodStatus, containerStatus, willRestart, withTransitionTimes, type ContainerView } from './pod-status.js';
import { initializingView, initProgress, initRestartPolicy, withInitStatus } from './init-containers.js';
import type { ReconcilerOptions } from './reconciler-options.js';
import type { BindMount, ContainerState } from './runtime/runtime.js';

export type { DesiredPods, ReconcilerOptions } from './reconciler-options.js';

/** A container waiting for configuration (a ConfigMap, a Secret, a volume) retries at least this often: the object may appear any moment. */
const CONFIG_RETRY_MAX_MS = 2000;

/** Pods synced at once in a pass; each start spawns runc and a shim, so keep it modest. */
const POD_SYNC_CONCURRENCY = 8;
const NETWORK_SWEEP_MS = 30_000;

interface Waiting {
  readonly reason: string;
  readonly message?: string;
  readonly retryAt: number;
  readonly failures: number;
}

export class Reconciler {
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Per container (pod uid + name): why it is not running and when to try again. */
  private readonly waiting = new Map<string, Waiting>();
  private readonly reported = new Map<string, PodStatus>();
  private readonly startTimes = new Map<string, string>();
  /** Pod networks attached by this process: attach() runs `ip`, so only once per pod. */
  private readonly attached = new Map<string, PodNetworkAttachment>();
  private lastNetworkSweep = 0;
  /** Image references per pod the agent has: desired ones, and gone ones whose containers still exist. */
  private podImages = new Map<string, readonly string[]>();
  private readonly syncLimit = pLimit(POD_SYNC_CONCURRENCY);
  private readonly now: () => number;
  private readonly events: PodEventSink;
  /** Per container: the back-off window last announced with a BackOff event, so each is told once, not every pass. */
  private readonly backOffTold = new Map<string, string>();
  /** Pods being deleted gracefully: their containers' preStop, SIGTERM, grace period and SIGKILL. */
  private readonly terminations: PodTerminations;
  /** Pods whose removal the control plane accepted (the DELETED assignment is on its way). */
  private readonly removed = new Set<string>();

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
    this.events = options.events ?? DISCARD_POD_EVENTS;
    this.terminations = new PodTerminations({
      runtime: options.runtime,
      events: this.events,
      log: options.log,
      now: this.now,
      ...(options.preStop ? { preStop: options.preStop } : {}),
    });
  }

  start(): void {
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.options.probes?.stop();
  }

  /** Asks for a pass; passes never overlap, and requests during one coalesce into one more. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'reconcile pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.trigger();
        } else {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.trigger(), this.options.resyncMs);
        }
      });
  }

  private async pass(): Promise<void> {
    const containers = await this.options.runtime.list();
    const byPod = new Map<string, ContainerState[]>();
    for (const state of containers) {
      const uid = state.labels[LABEL.podUid];
      if (uid === undefined) continue;
      byPod.set(uid, [...(byPod.get(uid) ?? []), state]);
    }
    // Read before desired(): SYNCED arriving in between must not make an earlier, partial picture look complete.
    const synced = this.options.pods.isSynced;
    const desired = this.options.pods.desired();
    this.rememberImages(desired, byPod);
    // Only a complete picture sizes the QoS classes (see PodCgroupManager.updateClasses).
    if (synced) await this.options.podCgroups?.updateClasses(desired.values());
    // Pods are independent: sync several at once, so a node taking over a dead
    // node's pods starts them in parallel rather than one container at a time.
    const syncs = [...desired]
      .filter(([uid]) => !this.terminations.isTearingDown(uid))
      .map(([uid, pod]) =>
        this.syncLimit(async () => {
          try {
            const eviction = this.options.evictions?.evictionOf(pod);
            if (pod.metadata.deletionTimestamp !== undefined) await this.syncDeleting(pod, byPod.get(uid) ?? []);
            else if (eviction) await this.syncEvicted(pod, byPod.get(uid) ?? [], eviction.message);
            else await this.syncPod(pod, byPod.get(uid) ?? []);
          } catch (error) {
            this.options.log.warn({ err: error, pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod sync failed');
          }
        }),
      );
    await Promise.all(syncs);
    // Only a complete picture may say a pod is gone: before SYNCED, absence means "not heard of yet".
    if (!synced) return;
    this.options.probes?.retain(new Set([...desired].filter(([, pod]) => !this.options.evictions?.evictionOf(pod)).map(([uid]) => uid)));
    for (const [uid, states] of byPod) if (!desired.has(uid)) this.teardown(uid, states);
    // Network namespaces without containers (e.g. left by a crash mid-start):
    // listing them costs `ip` calls, so sweep now and then, not every pass.
    if (this.options.network && this.now() - this.lastNetworkSweep > NETWORK_SWEEP_MS) {
      this.lastNetworkSweep = this.now();
      // Pod cgroups too: one is made before the pod's first container, which may never have started.
      const leftovers = new Set([
        ...(await this.options.network.existing()).keys(),
        ...((await this.options.podCgroups?.existing()) ?? []),
        ...((await this.options.volumes?.existing()) ?? []),
      ]);
      for (const uid of leftovers) {
        if (!desired.has(uid) && !byPod.has(uid)) this.teardown(uid, []);
      }
    }
  }

  /** Images no garbage collection may remove: those of every pod the agent has, running or not, or still tearing down. */
  imagesInUse(): string[] {
    const images = new Set<string>();
    for (const pod of this.options.pods.desired().values()) for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) images.add(container.image);
    for (const references of this.podImages.values()) for (const reference of references) images.add(reference);
    return [...images];
  }

  private rememberImages(desired: Map<string, Pod>, byPod: Map<string, ContainerState[]>): void {
    const images = new Map<string, readonly string[]>();
    for (const [uid, pod] of desired) images.set(uid, [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((container) => container.image));
    for (const uid of byPod.keys()) {
      const known = this.podImages.get(uid);
      if (known && !images.has(uid)) images.set(uid, known);
    }
    this.podImages = images;
  }

  private async syncPod(pod: Pod, states: ContainerState[]): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    await this.options.podCgroups?.ensure(pod);
    const network = await this.attach(uid);
    const podMounts = this.options.podFiles ? await this.options.podFiles.mounts(uid, pod.metadata.name, network?.ip, pod) : [];
    if (!this.startTimes.has(uid)) this.startTimes.set(uid, pod.status?.startTime ?? this.isoNow());
    const volumes = await this.options.volumes?.setUp(pod, network?.ip);
    const prepare: Prepare = {
      mounts: async (container) => {
        if (!volumes && container.volumeMounts?.length) throw new ContainerConfigError(`container ${container.name}: volumeMounts need the runc runtime; this agent runs host processes`);
        return volumes ? ((await this.options.volumes?.mountsFor(pod, container, volumes)) ?? []) : [];
      },
      env: (container) => this.options.containerEnv?.(pod, container, network?.ip) ?? Promise.resolve(undefined),
    };
    const attemptsOf = (name: string) => states.filter((s) => s.labels[LABEL.container] === name).sort((a, b) => attemptOf(a) - attemptOf(b));
    // Init containers first, one at a time (init-containers.ts); app containers only once they all succeeded.
    const progress = initProgress(pod, (name) => attemptsOf(name).at(-1), pod.spec.containers.some((c) => attemptsOf(c.name).length > 0));
    const initViews: ContainerView[] = [];
    for (const [index, container] of (pod.spec.initContainers ?? []).entries()) {
      const mine = attemptsOf(container.name);
      const due = progress.kind === 'running' && progress.index === index;
      initViews.push(due ? await this.syncContainer(pod, container, mine, network?.netnsPath, podMounts, prepare, initRestartPolicy(pod)) : initializingView(container, mine));
    }
    const views: ContainerView[] = [];
    for (const container of pod.spec.containers) {
      const mine = attemptsOf(container.name);
      views.push(progress.kind === 'initialized' ? await this.syncContainer(pod, container, mine, network?.netnsPath, podMounts, prepare) : initializingView(container, mine));
    }
    const podIP = network?.ip ?? this.options.hostIP;
    const built = buildPodStatus(pod, this.options.probes?.observe(pod, views, podIP) ?? views, {
      hostIP: this.options.hostIP,
      podIP,
      startTime: this.startTimes.get(uid) ?? this.isoNow(),
    });
    const status = withInitStatus(pod, built, progress, initViews.map(containerStatus));
    await this.report(pod, status);
  }

  /**
   * An evicted pod: nothing restarts, anything still running is killed (no
   * grace, as kubelet's hard eviction), and it is reported Failed with reason
   * Evicted. Its stopped containers stay until the pod is deleted.
   */
  private async syncEvicted(pod: Pod, states: ContainerState[], message: string): Promise<void> {
    const current = await Promise.all(states.map(async (state) => (state.status === 'running' ? await this.options.runtime.stop(state.id, 0) : state)));
    await this.report(pod, evictedPodStatus(pod, current, message, this.stoppedContext(pod)));
  }

  /** Where a stopped pod was and since when, for its last status. */
  private stoppedContext(pod: Pod) {
    const uid = pod.metadata.uid ?? '';
    const podIP = this.attached.get(uid)?.ip ?? pod.status?.podIP;
    return { hostIP: this.options.hostIP, ...(podIP ? { podIP } : {}), startTime: this.startTimes.get(uid) ?? pod.status?.startTime ?? this.isoNow() };
  }

  /**
   * A pod marked for deletion: nothing starts or restarts any more; its
   * containers are stopped (pod-termination.ts), and once none runs, the
   * last status goes to the control plane with the request to remove the pod.
   */
  private async syncDeleting(pod: Pod, states: ContainerState[]): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (this.removed.has(uid)) return;
    if (!this.terminations.sync(pod, states, () => this.trigger())) return;
    const status = stoppedPodStatus(pod, states, this.stoppedContext(pod));
    try {
      await this.options.reportStatus(pod, status, { removeTerminated: true });
      this.removed.add(uid);
      this.options.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod stopped; removed');
    } catch (error) {
      this.options.log.warn({ err: error, pod: pod.metadata.name }, 'removing the stopped pod failed; will retry');
    }
  }

  private async attach(uid: string): Promise<PodNetworkAttachment | undefined> {
    if (!this.options.network) return undefined;
    let attachment = this.attached.get(uid);
    if (!attachment) {
      attachment = await this.options.network.attach(uid);
      this.attached.set(uid, attachment);
    }
    return attachment;
  }

  private async syncContainer(
    pod: Pod,
    container: Container,
    attempts: ContainerState[],
    netnsPath: string | undefined,
    podMounts: readonly BindMount[],
    prepare?: Prepare,
    policy: RestartPolicy = pod.spec.restartPolicy,
  ): Promise<ContainerView> {
    const key = `${pod.metadata.uid}/${container.name}`;
    const current = attempts.at(-1);
    const previous = attempts.at(-2);
    // Keep the newest two attempts (current state and lastState); older ones only take disk space.
    for (const old of attempts.slice(0, -2)) await this.options.runtime.remove(old.id);
    const base = { name: container.name, image: container.image };
    const restartCount = current ? attemptOf(current) : 0;

    if (current?.status === 'running') {
      this.waiting.delete(key);
      this.backOffTold.delete(key);
      return { ...base, current, previous, restartCount };
    }
    const firstStart = current === undefined;
    if (current && !willRestart(policy, current)) return { ...base, current, previous, restartCount };

    const now = this.now();
    const held = this.waiting.get(key);
    const backoffUntil = current ? this.restartAt(current) : 0;
    if ((held && held.retryAt > now) || backoffUntil > now) {
      const reason = held && held.retryAt > now ? backingOff(held, container) : { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${container.name}` };
      this.tellBackOff(pod, container, key, reason.reason, held && held.retryAt > now ? `pull ${held.failures}` : `crash ${current?.id ?? ''}`);
      this.triggerAt(Math.max(held?.retryAt ?? 0, backoffUntil));
      return { ...base, current, previous, restartCount, waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } };
    }

    const attempt = firstStart ? 0 : attemptOf(current) + 1;
    try {
      // Volumes first, as kubelet waits for them before pulling; the env after the image, as kubelet makes it.
      const mounts = (await prepare?.mounts(container)) ?? [];
      const image = this.options.images ? await ensureContainerImage(this.options.images, pod, container, this.events, this.options.pullCredentials) : undefined;
      const env = await prepare?.env(container);
      for (const warning of env?.invalidNames ?? []) this.events.record(pod, { type: 'Warning', reason: 'InvalidEnvironmentVariableNames', message: warning });
      const spec = withStopSignal(
        buildContainerSpec(pod, container, attempt, image, netnsPath, podMounts, this.options.serviceEnv?.(pod), env, mounts),
        image?.config.stopSignal,
      );
      const started = await this.options.runtime.start(spec);
      // The runtime creates and starts in one step; kubelet's two events, told after both.
      this.events.record(pod, containerEvents.created(container.name));
      this.events.record(pod, containerEvents.started(container.name));
      this.options.hooks?.postStart(pod, container, started, this.attached.get(pod.metadata.uid ?? '')?.ip ?? this.options.hostIP);
      this.waiting.delete(key);
      if (previous) await this.options.runtime.remove(previous.id);
      return { ...base, current: started, previous: current, restartCount: attempt };
    } catch (error) {
      const failures = (held?.failures ?? 0) + 1;
      const reason =
        error instanceof ContainerConfigError ? 'CreateContainerConfigError' : error instanceof ImageError || error instanceof VolumeSetupError ? error.reason : 'CreateContainerError';
      const message = messageOf(error);
      if (error instanceof VolumeSetupError) this.events.record(pod, { type: 'Warning', reason: 'FailedMount', message });
      else this.events.record(pod, containerEvents.failed(container.name, error instanceof ImageError ? error.reason : message));
      const delay = backoffDelay(this.options.restartBackoff, failures);
      const waitingForConfig = error instanceof ContainerConfigError || error instanceof VolumeSetupError;
      this.waiting.set(key, { reason, message, failures, retryAt: now + (waitingForConfig ? Math.min(delay, CONFIG_RETRY_MAX_MS) : delay) });
      this.options.log.warn({ container: key, reason, message }, 'container could not start');
      return { ...base, current, previous, restartCount, waiting: { reason, message } };
    }
  }

  /** A BackOff event once per back-off window (a failed pull's retry, an exited container's restart), as kubelet tells it. */
  private tellBackOff(pod: Pod, container: Container, key: string, reason: string, window: string): void {
    if (reason !== 'ImagePullBackOff' && reason !== 'CrashLoopBackOff') return;
    if (this.backOffTold.get(key) === window) return;
    this.backOffTold.set(key, window);
    if (reason === 'CrashLoopBackOff') {
      this.events.record(pod, containerEvents.crashBackOff(pod, container.name));
      return;
    }
    this.events.record(pod, containerEvents.pullBackOff(container.name, container.image));
    this.events.record(pod, containerEvents.failed(container.name, 'ImagePullBackOff'));
  }

  /** When an exited container may be restarted: the exit of attempt n is its (n+1)-th failure, and back-off doubles with each. */
  private restartAt(state: ContainerState): number {
    const finished = state.finishedAt ? Date.parse(state.finishedAt) : 0;
    return finished + backoffDelay(this.options.restartBackoff, attemptOf(state) + 1);
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  private triggerAt(at: number): void {
    const delay = Math.max(0, at - this.now());
    if (delay < this.options.resyncMs) setTimeout(() => this.trigger(), delay).unref();
  }

  private async report(pod: Pod, built: PodStatus): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const last = this.reported.get(uid) ?? pod.status;
    const status = withTransitionTimes(last, built, this.isoNow());
    if (isDeepStrictEqual(last, status)) return;
    try {
      await this.options.reportStatus(pod, status);
      this.reported.set(uid, status);
    } catch (error) {
      this.options.log.warn({ err: error, pod: pod.metadata.name }, 'status report failed; will retry');
    }
  }

  /** Stops and removes everything of a pod that is no longer ours, in the background (pod-termination.ts). */
  private teardown(uid: string, states: ContainerState[]): void {
    this.terminations.tearDown(uid, states, async () => {
      await this.options.network?.detach(uid);
      // Unmounted before the pod's directory goes (podFiles removes it whole).
      await this.options.volumes?.tearDown(uid);
      await this.options.podFiles?.remove(uid);
      await this.options.podCgroups?.remove(uid);
      for (const map of [this.attached, this.reported, this.startTimes]) map.delete(uid);
      this.removed.delete(uid);
      for (const map of [this.waiting, this.backOffTold]) for (const key of map.keys()) if (key.startsWith(`${uid}/`)) map.delete(key);
    });
  }
}

/** What a container of the pod gets from outside its image: its volume mounts and its resolved env. */
interface Prepare {
  mounts(container: Container): Promise<BindMount[]>;
  env(container: Container): Promise<ResolvedEnv | undefined>;
}

/** What a container waiting for its retry shows: a failed pull backs off as ImagePullBackOff, as in kubelet. */
function backingOff(held: Waiting, container: Container): { reason: string; message?: string } {
  if (held.reason !== 'ErrImagePull') return held;
  return { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"${held.message ? `: ${held.message}` : ''}` };
}

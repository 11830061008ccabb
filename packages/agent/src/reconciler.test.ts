// The reconciler against an in-memory runtime, pod network and image store:
// level-triggered starts, restarts per restartPolicy with back-off, teardown of
// pods that are no longer ours, waiting reasons, and the status it reports.
// The reconciler ticks every few milliseconds; the tests step its clock to
// cross back-off deadlines and poll for the outcome of whole passes.
import type { BackoffPolicy, Container, Pod, PodStatus, RestartPolicy } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from './container-labels.js';
import { ImagePullError } from './images/errors.js';
import type { PodEvent, PodEventSink } from './events/pod-events.js';
import type { EnsureOptions, ImageStore, PullPolicy, ResolvedImage } from './images/image-store.js';
import type { PodNetwork, PodNetworkAttachment } from './network/pod-network.js';
import { FakeClock as ProbeClock } from './credentials/test-clock.js';
import { ProbeManager } from './probes/probe-manager.js';
import { Reconciler, type DesiredPods, type ReconcilerOptions } from './reconciler.js';
import type { ContainerSpec, ContainerState, ExecSession, Runtime } from './runtime/runtime.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 4_000 };
const HOST_IP = '192.0.2.10';
const WAIT = { timeoutMs: 5_000, intervalMs: 5 };

class FakeClock {
  ms = T0;
  readonly now = (): number => this.ms;
  readonly iso = (): string => new Date(this.ms).toISOString();
  readonly advance = (ms: number): void => void (this.ms += ms);
}

class FakeRuntime implements Runtime {
  readonly name = 'runc';
  readonly containers = new Map<string, ContainerState>();
  readonly started: ContainerSpec[] = [];
  readonly stopped: { id: string; graceMs: number }[] = [];
  readonly removed: string[] = [];
  /** Every pass starts with list(): the count tells how many passes began. */
  listCalls = 0;
  failStart: Error | undefined;

  constructor(private readonly clock: FakeClock) {}

  async exec(): Promise<ExecSession> {
    throw new Error('the reconciler never execs');
  }

  async start(spec: ContainerSpec): Promise<ContainerState> {
    if (this.failStart) throw this.failStart;
    this.started.push(spec);
    const { id, labels } = spec;
    const state: ContainerState = { id, labels, status: 'running', pid: 1000 + this.started.length, startedAt: this.clock.iso(), logPath: `/logs/${id}` };
    this.containers.set(id, state);
    return state;
  }

  async stop(id: string, graceMs: number): Promise<ContainerState> {
    this.stopped.push({ id, graceMs });
    return this.exit(id, 143);
  }

  async remove(id: string): Promise<void> {
    this.removed.push(id);
    this.containers.delete(id);
  }

  async state(id: string): Promise<ContainerState | undefined> {
    return this.containers.get(id);
  }

  async list(): Promise<ContainerState[]> {
    this.listCalls += 1;
    return [...this.containers.values()];
  }

  /** The container's process ends now with `exitCode`. */
  exit(id: string, exitCode: number): ContainerState {
    const current = this.containers.get(id);
    if (!current) throw new Error(`no container ${id}`);
    const { pid: _pid, ...rest } = current;
    const state: ContainerState = { ...rest, status: 'exited', exitCode, finishedAt: this.clock.iso() };
    this.containers.set(id, state);
    return state;
  }

  ids(): string[] {
    return [...this.containers.keys()].sort();
  }
}

class FakePodNetwork implements PodNetwork {
  readonly attachments = new Map<string, PodNetworkAttachment>();
  readonly attachCalls: string[] = [];
  readonly detached: string[] = [];
  private nextHost = 2;

  async attach(podUid: string): Promise<PodNetworkAttachment> {
    this.attachCalls.push(podUid);
    let attachment = this.attachments.get(podUid);
    if (!attachment) {
      attachment = { netnsPath: `/var/run/netns/skiff-${podUid}`, ip: `10.244.1.${this.nextHost++}` };
      this.attachments.set(podUid, attachment);
    }
    return attachment;
  }

  async detach(podUid: string): Promise<void> {
    this.detached.push(podUid);
    this.attachments.delete(podUid);
  }

  async existing(): Promise<Map<string, PodNetworkAttachment>> {
    return new Map(this.attachments);
  }
}

/** Images whose config runs `/bin/sh -c 'sleep 3600'`, except `empty:1`, which has no entrypoint or cmd. */
class FakeImages implements ImageStore {
  readonly pulls: string[] = [];
  readonly policies: PullPolicy[] = [];
  /** reference → the message its pull fails with. */
  readonly failing = new Map<string, string>();
  /** References not in the store: policy Never fails for them as the real store does. */
  readonly absent = new Set<string>();
  /** References already in the store: IfNotPresent uses them without asking a registry (others are "pulled"). */
  readonly present = new Set<string>();

  async ensure(reference: string, policy: PullPolicy, options: EnsureOptions = {}): Promise<ResolvedImage> {
    this.pulls.push(reference);
    this.policies.push(policy);
    if (policy === 'Never' && this.absent.has(reference)) throw new ImagePullError('not-present', reference, 'not in the store');
    const pulls = policy === 'Always' || (policy === 'IfNotPresent' && !this.present.has(reference));
    if (pulls) options.progress?.pulling();
    const failure = this.failing.get(reference);
    if (failure !== undefined) throw new Error(failure);
    if (pulls) options.progress?.pulled({ pullMs: 1_234, totalMs: 1_300, sizeBytes: 4_096 });
    const runs = reference !== 'empty:1';
    return {
      reference,
      digest: `sha256:${'ab'.repeat(32)}`,
      config: { entrypoint: runs ? ['/bin/sh'] : [], cmd: runs ? ['-c', 'sleep 3600'] : [], env: ['PATH=/bin'] },
      layers: [`/layers/${reference}`],
    };
  }
}

class FakeAssignments implements DesiredPods {
  isSynced = true;
  readonly pods = new Map<string, Pod>();
  desired(): Map<string, Pod> {
    return new Map(this.pods);
  }
  add(pod: Pod): string {
    const uid = pod.metadata.uid ?? '';
    this.pods.set(uid, pod);
    return uid;
  }
}

let podSeq = 0;
const SCHEDULED = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-03-01T11:59:59.000Z' } as const;

function podOf(
  restartPolicy: RestartPolicy,
  containers: Container[] = [{ name: 'main', image: 'busybox:1' }],
  terminationGracePeriodSeconds = 30,
): Pod {
  podSeq += 1;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${podSeq}`, namespace: 'default', uid: `uid-${podSeq}` },
    spec: { containers, restartPolicy, terminationGracePeriodSeconds },
    status: { phase: 'Pending', conditions: [SCHEDULED] },
  };
}

const running: Reconciler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((reconciler) => reconciler.stop()));
});

function harness(extra: Partial<ReconcilerOptions> = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const network = new FakePodNetwork();
  const images = new FakeImages();
  const pods = new FakeAssignments();
  const reports: { uid: string; status: PodStatus; removeTerminated?: true }[] = [];
  const events: (PodEvent & { pod: string })[] = [];
  const sink: PodEventSink = { record: (pod, event) => void events.push({ pod: `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`, ...event }) };
  const reconciler = new Reconciler({
    events: sink,
    runtime, images, network, pods, hostIP: HOST_IP, restartBackoff: RESTART_BACKOFF, resyncMs: 2, now: clock.now,
    reportStatus: async (pod, status, options) =>
      void reports.push({ uid: pod.metadata.uid ?? '', status: structuredClone(status), ...(options?.removeTerminated ? { removeTerminated: true as const } : {}) }),
    log: pino({ level: 'silent' }),
    ...extra,
  });
  running.push(reconciler);

  const reportsOf = (uid: string): PodStatus[] => reports.filter((r) => r.uid === uid).map((r) => r.status);
  return {
    clock, runtime, network, images, pods, reconciler, reportsOf, events, reports,
    /** The events about container `name`, as "Type Reason: message". */
    eventsOf: (name: string): string[] => events.filter((e) => e.fieldPath === `spec.containers{${name}}`).map((e) => `${e.type} ${e.reason}: ${e.message}`),
    /** Waits until `count` whole passes have run after this call (pass n+1 starts only once pass n is over). */
    passes: async (count: number): Promise<void> => {
      const target = runtime.listCalls + count + 1;
      await waitFor(() => runtime.listCalls >= target, { ...WAIT, description: `${count} reconcile passes` });
    },
    /** The newest status reported for `uid` once it satisfies `accept`. */
    statusWhen: (uid: string, description: string, accept: (status: PodStatus) => boolean): Promise<PodStatus> =>
      waitFor(
        () => {
          const last = reportsOf(uid).at(-1);
          return last !== undefined && accept(last) ? last : undefined;
        },
        { ...WAIT, description: `pod ${uid} to be reported ${description}` },
      ),
  };
}
type Harness = ReturnType<typeof harness>;

const first = (status: PodStatus) => status.containerStatuses?.[0];
const at = (ms: number): string => new Date(ms).toISOString();
/** A container state `terminated` that started and finished at `ms` (the fake runtime exits instantly). */
const terminated = (exitCode: number, reason: 'Completed' | 'Error', ms: number) => ({
  terminated: { exitCode, reason, startedAt: at(ms), finishedAt: at(ms) },
});
const isRunningAt = (attempt: number) => (status: PodStatus) =>
  first(status)?.state.running !== undefined && first(status)?.restartCount === attempt;
const isWaiting = (reason: string) => (status: PodStatus) => first(status)?.state.waiting?.reason === reason;

describe('Reconciler: desired pods', () => {
  it('starts every container of a desired pod in its network namespace and reports the pod Running, once', async () => {
    const h = harness();
    const uid = h.pods.add(
      podOf('Always', [
        { name: 'main', image: 'busybox:1' },
        { name: 'sidecar', image: 'busybox:1', command: ['sleep', '1'] },
      ]),
    );
    h.reconciler.start();
    const status = await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');

    const attachment = h.network.attachments.get(uid);
    expect(attachment).toEqual({ netnsPath: `/var/run/netns/skiff-${uid}`, ip: '10.244.1.2' });
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-main-0`, `${uid}-sidecar-0`]);
    expect(h.runtime.started[0]).toMatchObject({
      argv: ['/bin/sh', '-c', 'sleep 3600'],
      layers: ['/layers/busybox:1'],
      netnsPath: attachment?.netnsPath,
      labels: { [LABEL.podUid]: uid, [LABEL.container]: 'main', [LABEL.attempt]: '0', [LABEL.graceSeconds]: '30' },
    });
    expect(h.runtime.started[1]?.argv).toEqual(['sleep', '1']);
    expect(status).toEqual({
      phase: 'Running',
      // Ready since the clock's start: the first report already had both containers running.
      conditions: [SCHEDULED, { type: 'Ready', status: 'True', lastTransitionTime: at(T0) }, { type: 'ContainersReady', status: 'True', lastTransitionTime: at(T0) }],
      hostIP: HOST_IP,
      podIP: '10.244.1.2',
      startTime: at(T0),
      containerStatuses: [
        { name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: at(T0) } }, containerID: `${uid}-main-0` },
        { name: 'sidecar', ready: true, restartCount: 0, state: { running: { startedAt: at(T0) } }, containerID: `${uid}-sidecar-0` },
      ],
      qosClass: 'BestEffort',
    });

    // Level-triggered, but idempotent: later passes start nothing, attach nothing and report nothing new.
    await h.passes(3);
    expect(h.runtime.started).toHaveLength(2);
    expect(h.network.attachCalls).toEqual([uid]);
    expect(h.images.pulls).toEqual(['busybox:1', 'busybox:1']);
    expect(h.reportsOf(uid)).toHaveLength(1);
  });
});

describe('Reconciler: pods that are no longer ours', () => {
  it('stops a removed pod with its grace period, removes its containers, releases its network and forgets it', async () => {
    const h = harness();
    const pod = podOf('Always', undefined, 12);
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');

    h.pods.pods.delete(uid);
    await waitFor(() => h.network.detached.includes(uid), { ...WAIT, description: `pod ${uid}'s network to be released` });
    expect(h.runtime.stopped).toEqual([{ id: `${uid}-main-0`, graceMs: 12_000 }]);
    expect(h.runtime.removed).toEqual([`${uid}-main-0`]);
    expect(h.runtime.ids()).toEqual([]);
    expect(h.network.detached).toEqual([uid]);

    // Forgotten: the same pod bound again is attached, started from attempt 0 and reported afresh.
    h.pods.add(pod);
    await waitFor(() => h.runtime.started.length === 2, { ...WAIT, description: 'the pod to start again' });
    expect(h.runtime.started[1]?.id).toBe(`${uid}-main-0`);
    expect(h.network.attachCalls).toEqual([uid, uid]);
    await h.statusWhen(uid, 'Running again', (s) => h.reportsOf(uid).length === 2 && s.phase === 'Running');
  });

  it('counts the images of a removed pod as in use while its containers remain', async () => {
    const h = harness();
    h.pods.isSynced = false; // no teardown yet: the removed pod's containers stay
    const uid = h.pods.add(podOf('Always', [{ name: 'main', image: 'busybox:1' }]));
    h.pods.add(podOf('Always', [{ name: 'other', image: 'nginx:1' }]));
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    expect(h.reconciler.imagesInUse().sort()).toEqual(['busybox:1', 'nginx:1']);
    h.pods.pods.delete(uid);
    await h.passes(2);
    expect(h.reconciler.imagesInUse().sort()).toEqual(['busybox:1', 'nginx:1']);
    // Once its containers are gone, its image is free.
    h.pods.isSynced = true;
    h.reconciler.trigger();
    await waitFor(() => h.runtime.ids().every((id) => !id.startsWith(uid)), { ...WAIT, description: 'the teardown' });
    await h.passes(2);
    expect(h.reconciler.imagesInUse()).toEqual(['nginx:1']);
  });

  it('leaves containers of unknown pods alone until the picture is synced, then tears them down', async () => {
    const h = harness();
    h.pods.isSynced = false;
    const labels = (container: string) => ({
      [LABEL.podUid]: 'adopted',
      [LABEL.podNamespace]: 'default',
      [LABEL.podName]: 'old',
      [LABEL.container]: container,
      [LABEL.attempt]: '0',
      [LABEL.graceSeconds]: '7',
    });
    // Left by an earlier agent process (adoption).
    h.runtime.containers.set('adopted-main-0', { id: 'adopted-main-0', labels: labels('main'), status: 'running', pid: 42, logPath: '/logs/a' });
    h.runtime.containers.set('adopted-init-0', { id: 'adopted-init-0', labels: labels('init'), status: 'exited', exitCode: 0, logPath: '/logs/b' });
    await h.network.attach('adopted');
    const kept = h.pods.add(podOf('Always'));
    h.reconciler.start();
    await h.statusWhen(kept, 'Running', (s) => s.phase === 'Running');
    await h.passes(2);
    expect(h.runtime.stopped).toEqual([]);
    expect(h.runtime.removed).toEqual([]);
    expect(h.network.detached).toEqual([]);

    h.pods.isSynced = true;
    await waitFor(() => h.network.detached.includes('adopted'), { ...WAIT, description: 'the unknown pod to be torn down' });
    expect(h.runtime.stopped).toEqual([{ id: 'adopted-main-0', graceMs: 7_000 }]);
    expect([...h.runtime.removed].sort()).toEqual(['adopted-init-0', 'adopted-main-0']);
    expect(h.runtime.ids()).toEqual([`${kept}-main-0`]);
    expect(h.network.detached).toEqual(['adopted']);
  });

  it('releases a pod network that has neither containers nor a desired pod', async () => {
    const h = harness();
    await h.network.attach('orphan');
    const kept = h.pods.add(podOf('Always'));
    h.reconciler.start();
    await waitFor(() => h.network.detached.includes('orphan'), { ...WAIT, description: 'the orphaned network to be released' });
    await h.statusWhen(kept, 'Running', (s) => s.phase === 'Running');
    expect(h.network.detached).toEqual(['orphan']);
    expect([...h.network.attachments.keys()]).toEqual([kept]);
  });
});

describe('Reconciler: exited containers and restartPolicy', () => {
  /** A harness running one pod whose only container, main, is up (attempt 0). */
  async function runningPod(restartPolicy: RestartPolicy): Promise<{ h: Harness; uid: string }> {
    const h = harness();
    const uid = h.pods.add(podOf(restartPolicy));
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', isRunningAt(0));
    return { h, uid };
  }

  /** Ends attempt `attempt` of `uid`'s only container and checks its restart waits exactly `backoffMs`. */
  async function expectRestartAfter(h: Harness, uid: string, attempt: number, exitCode: number, backoffMs: number): Promise<void> {
    h.runtime.exit(`${uid}-main-${attempt}`, exitCode);
    const waiting = await h.statusWhen(uid, `in CrashLoopBackOff after attempt ${attempt}`, (s) => isWaiting('CrashLoopBackOff')(s) && first(s)?.restartCount === attempt);
    expect(first(waiting)).toEqual({
      name: 'main',
      ready: false,
      restartCount: attempt,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container main' } },
      lastState: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: expect.any(String), finishedAt: h.clock.iso() } },
      containerID: `${uid}-main-${attempt}`,
    });
    h.clock.advance(backoffMs - 1);
    await h.passes(2);
    expect(h.runtime.started).toHaveLength(attempt + 1);
    h.clock.advance(1);
    await h.statusWhen(uid, `running attempt ${attempt + 1}`, isRunningAt(attempt + 1));
    expect(h.runtime.started.map((spec) => spec.id)).toEqual(Array.from({ length: attempt + 2 }, (_, n) => `${uid}-main-${n}`));
    expect(h.runtime.started.at(-1)?.labels[LABEL.attempt]).toBe(String(attempt + 1));
  }

  it('Always: restarts after the back-off, which doubles per restart up to maxMs, keeping two attempts', async () => {
    const { h, uid } = await runningPod('Always');

    await expectRestartAfter(h, uid, 0, 0, 1_000);
    await expectRestartAfter(h, uid, 1, 3, 2_000);
    expect(h.runtime.ids()).toEqual([`${uid}-main-1`, `${uid}-main-2`]);
    expect(h.runtime.removed).toEqual([`${uid}-main-0`]);
    await expectRestartAfter(h, uid, 2, 3, 4_000);
    await expectRestartAfter(h, uid, 3, 3, 4_000); // 8 s, capped at maxMs

    const status = await h.statusWhen(uid, 'Running with 4 restarts', isRunningAt(4));
    expect(status.phase).toBe('Running');
    expect(first(status)?.lastState).toEqual({
      terminated: { exitCode: 3, reason: 'Error', startedAt: expect.any(String), finishedAt: at(T0 + 7_000) },
    });
  });

  it('OnFailure: restarts a container that failed, not one that completed', async () => {
    const { h, uid } = await runningPod('OnFailure');
    await expectRestartAfter(h, uid, 0, 1, 1_000);

    h.runtime.exit(`${uid}-main-1`, 0);
    const done = await h.statusWhen(uid, 'Succeeded', (s) => s.phase === 'Succeeded');
    expect(first(done)).toEqual({
      name: 'main',
      ready: false,
      restartCount: 1,
      state: terminated(0, 'Completed', T0 + 1_000),
      lastState: terminated(1, 'Error', T0),
      containerID: `${uid}-main-1`,
    });
    h.clock.advance(60_000);
    await h.passes(2);
    expect(h.runtime.started).toHaveLength(2);
    expect(h.reportsOf(uid).at(-1)).toEqual(done);
  });

  it('Never: leaves a failed container exited and the pod Failed', async () => {
    const { h, uid } = await runningPod('Never');

    h.runtime.exit(`${uid}-main-0`, 2);
    const failed = await h.statusWhen(uid, 'Failed', (s) => s.phase === 'Failed');
    expect(first(failed)).toEqual({
      name: 'main',
      ready: false,
      restartCount: 0,
      state: terminated(2, 'Error', T0),
      containerID: `${uid}-main-0`,
    });
    h.clock.advance(60_000);
    await h.passes(2);
    expect(h.runtime.started).toHaveLength(1);
    expect(h.runtime.ids()).toEqual([`${uid}-main-0`]);
  });
});

describe('Reconciler: containers that cannot start', () => {
  it('an image pull failure waits as ErrImagePull and is retried with back-off until it works', async () => {
    const h = harness();
    h.images.failing.set('busybox:1', 'manifest unknown: busybox:1');
    const uid = h.pods.add(podOf('Always'));
    h.reconciler.start();
    // Reported first as ErrImagePull (the next pass already backs off, so look at every report).
    const pending = await waitFor(() => h.reportsOf(uid).find(isWaiting('ErrImagePull')), { ...WAIT, description: 'an ErrImagePull report' });
    expect(pending.phase).toBe('Pending');
    expect(pending.containerStatuses).toEqual([
      { name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown: busybox:1' } } },
    ]);
    const unready = { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [main]' };
    expect(pending.conditions).toEqual([SCHEDULED, { type: 'Ready', ...unready, lastTransitionTime: at(T0) }, { type: 'ContainersReady', ...unready, lastTransitionTime: at(T0) }]);

    // While it backs off, the container waits as ImagePullBackOff, as in kubelet.
    const backingOff = await h.statusWhen(uid, 'ImagePullBackOff', isWaiting('ImagePullBackOff'));
    expect(first(backingOff)?.state).toEqual({
      waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1": manifest unknown: busybox:1' },
    });
    expect(h.images.pulls).toHaveLength(1);
    h.clock.advance(1_000);
    await waitFor(() => h.images.pulls.length === 2, { ...WAIT, description: 'the second pull' });
    // The second failure doubles the wait.
    h.clock.advance(1_999);
    await h.passes(2);
    expect(h.images.pulls).toHaveLength(2);
    h.images.failing.clear();
    h.clock.advance(1);
    await h.statusWhen(uid, 'Running', isRunningAt(0));
    expect(h.images.pulls).toHaveLength(3);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-main-0`]);
  });

  it('pull policy Never with an absent image waits as ErrImageNeverPull; an unset policy defaults by the tag', async () => {
    const h = harness();
    h.images.absent.add('busybox:1');
    const never = h.pods.add(podOf('Always', [{ name: 'main', image: 'busybox:1', imagePullPolicy: 'Never' }]));
    h.reconciler.start();
    const status = await h.statusWhen(never, 'ErrImageNeverPull', isWaiting('ErrImageNeverPull'));
    expect(first(status)?.state).toEqual({
      waiting: { reason: 'ErrImageNeverPull', message: 'container image "busybox:1" is not present with pull policy of Never' },
    });
    h.pods.add(podOf('Always', [{ name: 'latest', image: 'busybox' }]));
    h.pods.add(podOf('Always', [{ name: 'tagged', image: 'busybox:2' }]));
    h.reconciler.trigger();
    await waitFor(() => h.images.pulls.includes('busybox') && h.images.pulls.includes('busybox:2'), { ...WAIT, description: 'both pulls' });
    expect(h.images.policies[h.images.pulls.indexOf('busybox')]).toBe('Always');
    expect(h.images.policies[h.images.pulls.indexOf('busybox:2')]).toBe('IfNotPresent');
  });

  it('a runtime start failure waits as CreateContainerError and is retried after the back-off', async () => {
    const h = harness();
    h.runtime.failStart = new Error('runc create: no space left on device');
    const uid = h.pods.add(podOf('Always'));
    h.reconciler.start();
    const pending = await h.statusWhen(uid, 'CreateContainerError', isWaiting('CreateContainerError'));
    expect(first(pending)?.state).toEqual({ waiting: { reason: 'CreateContainerError', message: 'runc create: no space left on device' } });
    expect(pending.phase).toBe('Pending');

    h.runtime.failStart = undefined;
    await h.passes(2);
    expect(h.runtime.started).toEqual([]);
    h.clock.advance(1_000);
    await h.statusWhen(uid, 'Running', isRunningAt(0));
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-main-0`]);
  });

  it('a container with nothing to run waits as CreateContainerConfigError and never reaches the runtime', async () => {
    const h = harness();
    const uid = h.pods.add(podOf('Always', [{ name: 'main', image: 'empty:1' }]));
    h.reconciler.start();
    const pending = await h.statusWhen(uid, 'CreateContainerConfigError', isWaiting('CreateContainerConfigError'));
    expect(first(pending)?.state).toEqual({
      waiting: {
        reason: 'CreateContainerConfigError',
        message: 'container main: no command: set command in the pod spec or use an image with an entrypoint or cmd',
      },
    });
    h.clock.advance(10_000);
    await h.passes(2);
    expect(h.runtime.started).toEqual([]);
  });
});

describe('Reconciler: events, as kubelet records them', () => {
  it('tells a pull, an image already present, and each container created and started', async () => {
    const h = harness();
    h.images.present.add('busybox:2');
    const pod = podOf('Always', [
      { name: 'main', image: 'busybox:1' },
      { name: 'side', image: 'busybox:2' },
    ]);
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    expect(h.eventsOf('main')).toEqual([
      'Normal Pulling: Pulling image "busybox:1"',
      'Normal Pulled: Successfully pulled image "busybox:1" in 1.234s (1.3s including waiting). Image size: 4096 bytes.',
      'Normal Created: Created container: main',
      'Normal Started: Started container main',
    ]);
    expect(h.eventsOf('side')).toEqual([
      'Normal Pulled: Container image "busybox:2" already present on machine',
      'Normal Created: Created container: side',
      'Normal Started: Started container side',
    ]);
    expect(new Set(h.events.map((e) => e.pod))).toEqual(new Set([`default/${pod.metadata.name}/${uid}`]));
    // A steady pod says nothing more.
    await h.passes(3);
    expect(h.events).toHaveLength(7);
  });

  it('tells a failed pull twice (the error, then ErrImagePull) and each back-off window once, however many passes it spans', async () => {
    const h = harness();
    h.images.failing.set('busybox:1', 'manifest unknown: busybox:1');
    const uid = h.pods.add(podOf('Always'));
    h.reconciler.start();
    await h.statusWhen(uid, 'ImagePullBackOff', isWaiting('ImagePullBackOff'));
    await h.passes(3);
    const firstWindow = [
      'Normal Pulling: Pulling image "busybox:1"',
      'Warning Failed: Failed to pull image "busybox:1": manifest unknown: busybox:1',
      'Warning Failed: Error: ErrImagePull',
      'Normal BackOff: Back-off pulling image "busybox:1"',
      'Warning Failed: Error: ImagePullBackOff',
    ];
    expect(h.eventsOf('main')).toEqual(firstWindow);
    h.clock.advance(1_000);
    await waitFor(() => h.images.pulls.length === 2, { ...WAIT, description: 'the second pull' });
    await h.passes(3);
    expect(h.eventsOf('main')).toEqual([...firstWindow, ...firstWindow]);
  });

  it('tells ErrImageNeverPull, and an image name it cannot parse', async () => {
    const h = harness();
    h.images.absent.add('busybox:1');
    const uid = h.pods.add(podOf('Always', [{ name: 'main', image: 'busybox:1', imagePullPolicy: 'Never' }]));
    h.reconciler.start();
    await h.statusWhen(uid, 'ErrImageNeverPull', isWaiting('ErrImageNeverPull'));
    expect(h.eventsOf('main').slice(0, 2)).toEqual([
      'Warning ErrImageNeverPull: Container image "busybox:1" is not present with pull policy of Never',
      'Warning Failed: Error: ErrImageNeverPull',
    ]);
  });

  it('tells a container that cannot be created why, as kubelet does', async () => {
    const h = harness();
    h.runtime.failStart = new Error('runc create: no space left on device');
    const uid = h.pods.add(podOf('Always'));
    h.reconciler.start();
    await h.statusWhen(uid, 'CreateContainerError', isWaiting('CreateContainerError'));
    expect(h.eventsOf('main').at(-1)).toBe('Warning Failed: Error: runc create: no space left on device');
  });

  it('tells each crash-loop back-off once, naming the container and the pod as kubelet does', async () => {
    const h = harness();
    const pod = podOf('Always');
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', isRunningAt(0));
    h.runtime.exit(`${uid}-main-0`, 1);
    await h.statusWhen(uid, 'CrashLoopBackOff', isWaiting('CrashLoopBackOff'));
    await h.passes(3);
    const backOff = `Warning BackOff: Back-off restarting failed container main in pod ${pod.metadata.name}_default(${uid})`;
    expect(h.eventsOf('main').filter((e) => e.includes('BackOff'))).toEqual([backOff]);
    h.clock.advance(1_000);
    await h.statusWhen(uid, 'running attempt 1', isRunningAt(1));
    h.runtime.exit(`${uid}-main-1`, 1);
    await h.statusWhen(uid, 'CrashLoopBackOff again', (s) => isWaiting('CrashLoopBackOff')(s) && first(s)?.restartCount === 1);
    await h.passes(2);
    expect(h.eventsOf('main').filter((e) => e.includes('BackOff'))).toEqual([backOff, backOff]);
    expect(h.eventsOf('main').filter((e) => e.startsWith('Normal Started'))).toHaveLength(2);
  });

  it('tells each running container of a pod that is gone that it is being stopped', async () => {
    const h = harness();
    const pod = podOf('Always');
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', isRunningAt(0));
    h.pods.pods.delete(uid);
    await waitFor(() => h.network.detached.includes(uid), { ...WAIT, description: `pod ${uid}'s network to be released` });
    expect(h.events.at(-1)).toEqual({ pod: `default/${pod.metadata.name}/${uid}`, type: 'Normal', reason: 'Killing', message: 'Stopping container main', fieldPath: 'spec.containers{main}' });
  });
});

describe('Reconciler: pod cgroups and evictions', () => {
  it("makes the pod's cgroup before its containers start and removes it after the last one is gone", async () => {
    const calls: string[] = [];
    const h = harness({
      podCgroups: {
        ensure: async (pod) => void calls.push(`ensure ${pod.metadata.uid}`),
        remove: async (uid) => void calls.push(`remove ${uid}`),
        existing: async () => [],
        updateClasses: async () => undefined,
      },
    });
    const pod = podOf('Always', [{ name: 'main', image: 'busybox:1', resources: { requests: { memory: '16Mi' } } }]);
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    expect(calls[0]).toBe(`ensure ${uid}`);
    expect(h.runtime.started[0]?.cgroupParent).toBe(`kubepods/burstable/pod${uid}`);
    h.pods.pods.delete(uid);
    await waitFor(() => calls.includes(`remove ${uid}`), { ...WAIT, description: "the pod's cgroup to be removed" });
    expect(h.runtime.ids()).toEqual([]);
  });

  it('an evicted pod: its containers are killed without grace, never restarted, and it is reported Failed/Evicted', async () => {
    const evicted = new Map<string, string>();
    const h = harness({ evictions: { evictionOf: (pod) => (evicted.has(pod.metadata.uid ?? '') ? { message: evicted.get(pod.metadata.uid ?? '') ?? '' } : undefined) } });
    const uid = h.pods.add(podOf('Always'));
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    evicted.set(uid, 'The node was low on resource: memory. ');
    const failed = await h.statusWhen(uid, 'Failed', (s) => s.phase === 'Failed');
    expect(failed).toMatchObject({
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. ',
      conditions: [SCHEDULED, { type: 'Ready', status: 'False', reason: 'PodFailed' }, { type: 'ContainersReady', status: 'False', reason: 'PodFailed' }],
    });
    expect(first(failed)?.state.terminated?.exitCode).toBe(143);
    expect(h.runtime.stopped).toEqual([{ id: `${uid}-main-0`, graceMs: 0 }]);
    await h.passes(3);
    expect(h.runtime.started).toHaveLength(1);
    // The stopped container stays (its status and logs) until the pod is deleted.
    expect(h.runtime.ids()).toEqual([`${uid}-main-0`]);
  });
});

describe('Reconciler: probes and lifecycle hooks', () => {
  it('reports what the probes say (not Ready until the readiness probe passes), runs postStart after each start, and forgets the probes of a gone pod', async () => {
    const probeClock = new ProbeClock(T0);
    let passing = false;
    const postStarts: string[] = [];
    let reconciler: Reconciler | undefined;
    const probes = new ProbeManager({
      clock: probeClock,
      run: async (_probe, target) => ({ ok: passing, output: `${target.containerId} at ${target.podIP}` }),
      events: { record: () => undefined },
      onChange: () => reconciler?.trigger(),
      kill: async () => undefined,
      log: pino({ level: 'silent' }),
    });
    const h = harness({ probes, hooks: { postStart: (_pod, _container, state, podIP) => void postStarts.push(`${state.id}@${podIP ?? ''}`), isStarting: () => false, stopContainer: async (_p, _c, state) => state } });
    reconciler = h.reconciler;
    const uid = h.pods.add(podOf('Always', [{ name: 'main', image: 'busybox:1', readinessProbe: { exec: { command: ['ready?'] }, periodSeconds: 1 } }]));
    h.reconciler.start();
    const unready = await h.statusWhen(uid, 'Running, not ready', (s) => s.phase === 'Running');
    expect(first(unready)).toMatchObject({ ready: false, started: true });
    expect(unready.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(postStarts).toEqual([`${uid}-main-0@10.244.1.2`]);

    passing = true;
    probeClock.advanceTo(T0 + 1_000);
    const ready = await h.statusWhen(uid, 'Ready', (s) => s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true);
    expect(first(ready)).toMatchObject({ ready: true, started: true });
    expect(probes.workerCount).toBe(1);

    h.pods.pods.delete(uid);
    await h.passes(2);
    expect(probes.workerCount).toBe(0);
    expect(postStarts).toHaveLength(1);
  });
});

describe('Reconciler: graceful deletion (a pod with a deletionTimestamp)', () => {
  it('stops its containers with the deletion grace period, restarts nothing, then reports it stopped and asks for its removal', async () => {
    const h = harness();
    const pod = podOf('Always', undefined, 30);
    const uid = h.pods.add(pod);
    h.reconciler.start();
    await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    h.pods.add({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: at(T0 + 5_000), deletionGracePeriodSeconds: 5 } });
    const removal = await waitFor(() => h.reports.find((r) => r.uid === uid && r.removeTerminated), { ...WAIT, description: 'the removal request' });
    expect(h.runtime.stopped).toEqual([{ id: `${uid}-main-0`, graceMs: 5_000 }]);
    expect(removal.status.phase).toBe('Failed');
    expect(first(removal.status)?.state.terminated?.exitCode).toBe(143);
    expect(h.eventsOf('main').at(-1)).toBe('Normal Killing: Stopping container main');
    // Exited with restartPolicy Always, yet nothing restarts, and the removal is asked once.
    h.clock.advance(60_000);
    await h.passes(3);
    expect(h.runtime.started).toHaveLength(1);
    expect(h.reports.filter((r) => r.removeTerminated)).toHaveLength(1);
    // The control plane removes it: then the usual teardown frees its containers and network.
    h.pods.pods.delete(uid);
    await waitFor(() => h.network.detached.includes(uid), { ...WAIT, description: `pod ${uid}'s network to be released` });
    expect(h.runtime.ids()).toEqual([]);
  });

  it('a pod deleted before any container ran is reported and removed without starting anything', async () => {
    const h = harness();
    const pod = podOf('Always');
    const uid = h.pods.add({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: at(T0), deletionGracePeriodSeconds: 30 } });
    h.reconciler.start();
    await waitFor(() => h.reports.find((r) => r.uid === uid && r.removeTerminated), { ...WAIT, description: 'the removal request' });
    expect(h.runtime.started).toEqual([]);
  });
});

describe('Reconciler: init containers', () => {
  const inits: Container[] = [
    { name: 'first', image: 'busybox:1', command: ['true'] },
    { name: 'second', image: 'busybox:1', command: ['true'] },
  ];
  const withInits = (policy: RestartPolicy): Pod => {
    const pod = podOf(policy);
    return { ...pod, spec: { ...pod.spec, initContainers: inits } };
  };
  const initialized = (s: PodStatus) => s.conditions?.find((c) => c.type === 'Initialized')?.status;

  it('runs them one at a time, in order, each to exit 0, and only then the app containers', async () => {
    const h = harness();
    const uid = h.pods.add(withInits('Always'));
    h.reconciler.start();
    const one = await h.statusWhen(uid, 'initializing the first', (s) => s.initContainerStatuses?.[0]?.state.running !== undefined);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-first-0`]);
    expect(one).toMatchObject({ phase: 'Pending' });
    expect(one.conditions?.[0]).toEqual({ type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [first second]', lastTransitionTime: at(T0) });
    expect(one.initContainerStatuses?.[1]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(first(one)?.state).toEqual({ waiting: { reason: 'PodInitializing' } });

    h.runtime.exit(`${uid}-first-0`, 0);
    await h.statusWhen(uid, 'initializing the second', (s) => s.initContainerStatuses?.[1]?.state.running !== undefined);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-first-0`, `${uid}-second-0`]);
    h.runtime.exit(`${uid}-second-0`, 0);
    const running = await h.statusWhen(uid, 'Running', (s) => s.phase === 'Running');
    expect(initialized(running)).toBe('True');
    expect(running.initContainerStatuses?.map((s) => [s.name, s.ready, s.state.terminated?.exitCode])).toEqual([['first', true, 0], ['second', true, 0]]);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-first-0`, `${uid}-second-0`, `${uid}-main-0`]);
    // Completed init containers are never run again (restartPolicy Always is OnFailure for them).
    h.clock.advance(60_000);
    await h.passes(3);
    expect(h.runtime.started).toHaveLength(3);
  });

  it('restartPolicy Never: a failing init container fails the pod, and no app container starts', async () => {
    const h = harness();
    const uid = h.pods.add(withInits('Never'));
    h.reconciler.start();
    await h.statusWhen(uid, 'initializing', (s) => s.initContainerStatuses?.[0]?.state.running !== undefined);
    h.runtime.exit(`${uid}-first-0`, 3);
    const failed = await h.statusWhen(uid, 'Failed', (s) => s.phase === 'Failed');
    expect(failed.initContainerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(initialized(failed)).toBe('False');
    h.clock.advance(60_000);
    await h.passes(3);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-first-0`]);
  });

  it('restartPolicy OnFailure/Always: a failing init container is restarted after the back-off (CrashLoopBackOff meanwhile)', async () => {
    const h = harness();
    const uid = h.pods.add(withInits('Always'));
    h.reconciler.start();
    await h.statusWhen(uid, 'initializing', (s) => s.initContainerStatuses?.[0]?.state.running !== undefined);
    h.runtime.exit(`${uid}-first-0`, 1);
    const backingOff = await h.statusWhen(uid, 'in back-off', (s) => s.initContainerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff');
    expect(backingOff.phase).toBe('Pending');
    expect(backingOff.initContainerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
    h.clock.advance(RESTART_BACKOFF.initialMs);
    await h.statusWhen(uid, 'restarted', (s) => s.initContainerStatuses?.[0]?.restartCount === 1 && s.initContainerStatuses[0].state.running !== undefined);
    expect(h.runtime.started.map((spec) => spec.id)).toEqual([`${uid}-first-0`, `${uid}-first-1`]);
  });
});

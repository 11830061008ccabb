// Samples the resource usage of the node and of every running container of
// its pods every few seconds (kubelet's cAdvisor housekeeping): the latest
// sample is what the control plane scrapes (GetResourceMetrics) and what the
// agent's /metrics shows. Containers are found in the pod cgroups the agent
// made (cgroups/pod-cgroup-layout.ts): below /skiff/<instance>/<pod cgroup>,
// one directory per container named by its id, <pod uid>-<container>-<attempt>.
// Reading cgroupfs directly keeps a sample cheap: a readdir per pod and four
// small files per container, no runc call.
import { readdir, readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import { podCgroupNameOf } from '../cgroups/pod-cgroup-layout.js';
import { cgroupDirIn, cgroupHierarchies, CGROUP_ROOT_NAME, type CgroupHierarchy } from '../runtime/cgroup-fs.js';
import { readMountInfo } from '../runtime/mountinfo.js';
import { cpuNanoCores, readUsage, type CgroupDirs, type UsageReading } from './cgroup-usage.js';

export const DEFAULT_METRICS_INTERVAL_MS = 5_000;

export interface UsageSample {
  /** Milliseconds since the epoch: the end of the window. */
  readonly atMs: number;
  readonly windowMs: number;
  readonly cpuNanoCores: number;
  readonly workingSetBytes: number;
  /** Cumulative CPU time, in seconds (Prometheus' container_cpu_usage_seconds_total). */
  readonly cpuSecondsTotal: number;
}

export interface ContainerSample extends UsageSample {
  readonly name: string;
  /** The container's attempt: how many times it was restarted. */
  readonly restartCount: number;
}

export interface PodSample {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly atMs: number;
  readonly windowMs: number;
  readonly containers: readonly ContainerSample[];
}

export interface ResourceSamplerOptions {
  /** The agent's cgroup parent is /skiff/<instanceName>. */
  readonly instanceName: string;
  /** The pods the agent runs (their uids, QoS classes and labels). */
  readonly pods: () => Iterable<Pod>;
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** The cgroup hierarchies (default: from /proc/self/mountinfo); tests point them at fixture trees. */
  readonly hierarchies?: () => Promise<readonly CgroupHierarchy[]>;
  readonly log?: Logger;
}

interface Tracked {
  readonly reading: UsageReading;
  readonly sample?: UsageSample;
}

export class ResourceSampler {
  /** By cgroup (container id, or "" for the node): the last reading and the sample it made. */
  private tracked = new Map<string, Tracked>();
  private podSamples: PodSample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private roots?: Promise<{ cpuacct: CgroupHierarchy; memory: CgroupHierarchy } | undefined>;
  private readonly now: () => number;

  constructor(private readonly options: ResourceSamplerOptions) {
    this.now = options.now ?? Date.now;
  }

  get intervalMs(): number {
    return this.options.intervalMs ?? DEFAULT_METRICS_INTERVAL_MS;
  }

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.running ??= this.sample()
        .catch((error: unknown) => this.options.log?.warn({ err: error }, 'resource metrics sample failed'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The node's latest sample: undefined until two readings made a rate. */
  get node(): UsageSample | undefined {
    return this.tracked.get('')?.sample;
  }

  /** The latest sample of each pod with at least one running container that has a rate. */
  get pods(): readonly PodSample[] {
    return this.podSamples;
  }

  /** One round: reads the node's root cgroups and every pod's container cgroups. */
  async sample(): Promise<void> {
    const roots = await this.rootHierarchies();
    if (!roots) return;
    const next = new Map<string, Tracked>();
    // The node: the root cgroups (as cAdvisor's "/" container), which hold every process of the host.
    await this.track(next, '', { cpuacct: roots.cpuacct.mountPoint, memory: roots.memory.mountPoint });
    const pods: PodSample[] = [];
    for (const pod of this.options.pods()) {
      const sample = await this.samplePod(next, pod, roots);
      if (sample) pods.push(sample);
    }
    this.tracked = next;
    this.podSamples = pods;
  }

  private async samplePod(next: Map<string, Tracked>, pod: Pod, roots: { cpuacct: CgroupHierarchy; memory: CgroupHierarchy }): Promise<PodSample | undefined> {
    const uid = pod.metadata.uid ?? '';
    const podPath = `/${CGROUP_ROOT_NAME}/${this.options.instanceName}/${podCgroupNameOf(pod)}`;
    const cpuacct = cgroupDirIn(roots.cpuacct, podPath);
    const memory = cgroupDirIn(roots.memory, podPath);
    if (!cpuacct || !memory) return undefined;
    const entries = await readdir(memory, { withFileTypes: true }).catch(() => []);
    // The current attempt of each container: the highest one with a cgroup.
    const current = new Map<string, { id: string; attempt: number }>();
    const prefix = `${uid}-`;
    for (const entry of entries) {
      const match = entry.isDirectory() && entry.name.startsWith(prefix) ? /^(.+)-(\d+)$/.exec(entry.name.slice(prefix.length)) : null;
      if (!match?.[1] || !match[2]) continue;
      const attempt = Number(match[2]);
      if ((current.get(match[1])?.attempt ?? -1) < attempt) current.set(match[1], { id: entry.name, attempt });
    }
    const containers: ContainerSample[] = [];
    for (const [name, { id, attempt }] of current) {
      const dirs = { cpuacct: path.join(cpuacct, id), memory: path.join(memory, id) };
      // An exited container may keep its (empty) cgroup until it is removed: only running ones count, as in metrics-server.
      if (!(await hasProcesses(dirs.memory))) continue;
      const sample = await this.track(next, id, dirs);
      if (sample) containers.push({ ...sample, name, restartCount: attempt });
    }
    if (containers.length === 0) return undefined;
    containers.sort((a, b) => a.name.localeCompare(b.name));
    const first = containers[0] as ContainerSample;
    return {
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      uid,
      labels: { ...(pod.metadata.labels ?? {}) },
      atMs: Math.max(...containers.map((c) => c.atMs)),
      windowMs: first.windowMs,
      containers,
    };
  }

  /** Reads one cgroup and, with its previous reading, makes its sample (kept in `next`). */
  private async track(next: Map<string, Tracked>, key: string, dirs: CgroupDirs): Promise<UsageSample | undefined> {
    const reading = await readUsage(dirs, this.now);
    if (!reading) return undefined;
    const previous = this.tracked.get(key);
    const rate = previous ? cpuNanoCores(previous.reading, reading) : undefined;
    const sample: UsageSample | undefined =
      previous && rate !== undefined
        ? {
            atMs: reading.atMs,
            windowMs: reading.atMs - previous.reading.atMs,
            cpuNanoCores: rate,
            workingSetBytes: reading.workingSetBytes,
            cpuSecondsTotal: Number(reading.cpuNanos) / 1e9,
          }
        : undefined;
    // A counter that went backwards is a new cgroup: start its window again.
    next.set(key, sample ? { reading, sample } : { reading });
    return sample;
  }

  private rootHierarchies(): Promise<{ cpuacct: CgroupHierarchy; memory: CgroupHierarchy } | undefined> {
    this.roots ??= (async () => {
      const all = this.options.hierarchies ? await this.options.hierarchies() : cgroupHierarchies(await readMountInfo());
      const v1 = (controller: string): CgroupHierarchy | undefined => all.find((h) => h.version === 1 && h.controllers.includes(controller));
      const cpuacct = v1('cpuacct');
      const memory = v1('memory');
      if (!cpuacct || !memory) {
        this.options.log?.warn('no cgroup v1 cpuacct and memory hierarchies: resource metrics are off');
        return undefined;
      }
      return { cpuacct, memory };
    })();
    return this.roots;
  }
}

async function hasProcesses(dir: string): Promise<boolean> {
  const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return procs.trim().length > 0;
}

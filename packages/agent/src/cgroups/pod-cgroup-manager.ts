// Keeps the pod cgroups of pod-cgroup-layout.ts on cgroupfs (v1 memory and
// cpu hierarchies; v2 is not handled): /skiff/<instance>/kubepods sized to the
// node's allocatable (kubelet's --enforce-node-allocatable=pods), its QoS class
// cgroups, and one cgroup per pod sized by its containers. runc creates the
// containers' cgroups below the pod's (and the path in the other hierarchies).
// The cgroups outlive the agent: a restarted agent rewrites the same values
// for the pods it adopts and leaves their cgroups in place.
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isTerminalPod, type Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import { cgroupDirIn, cgroupHierarchies, CGROUP_ROOT_NAME, removeEmptyCgroupParentSync, type CgroupHierarchy } from '../runtime/cgroup-fs.js';
import { readMountInfo } from '../runtime/mountinfo.js';
import { delay } from '../runtime/poll.js';
import { burstableShares, CPU_PERIOD_US, KUBEPODS, milliCpuToShares, MIN_SHARES, podCgroupConfig, QOS_CGROUP, type PodCgroupConfig } from './pod-cgroup-layout.js';

export interface PodCgroupManagerOptions {
  /** The agent's cgroup parent is /skiff/<instanceName> (as the runc runtime's). */
  readonly instanceName: string;
  /** The node's allocatable: kubepods is limited to its memory and weighted by its cpu. */
  readonly allocatable: { readonly memoryBytes: number; readonly cpuMillis: number };
  readonly log?: Logger;
}

/** The controllers whose files the manager writes; the others' directories are runc's business. */
const CONTROLLERS = ['memory', 'cpu'] as const;
type Controller = (typeof CONTROLLERS)[number];
const REMOVE_TIMEOUT_MS = 5_000;

export class PodCgroupManager {
  /** What was last written per pod uid; a pass that finds the same config writes nothing. */
  private readonly pods = new Map<string, PodCgroupConfig>();
  private hierarchies?: Promise<CgroupHierarchy[]>;
  private initialized?: Promise<void>;
  private writtenBurstableShares?: number;

  constructor(private readonly options: PodCgroupManagerOptions) {}

  /** /skiff/<instance>: the agent's own parent, relative to each hierarchy's root. */
  get parent(): string {
    return `/${CGROUP_ROOT_NAME}/${this.options.instanceName}`;
  }

  /** The directory of a cgroup of this agent (e.g. "kubepods/burstable/pod<uid>") in one controller's hierarchy. */
  async dir(controller: Controller, name: string): Promise<string | undefined> {
    const hierarchy = (await this.allHierarchies()).find((h) => h.version === 1 && h.controllers.includes(controller));
    return hierarchy && cgroupDirIn(hierarchy, `${this.parent}/${name}`);
  }

  /** kubepods (memory limit = allocatable, shares = allocatable cpu) and its burstable and besteffort classes. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      for (const name of [KUBEPODS, QOS_CGROUP.Burstable, QOS_CGROUP.BestEffort]) await this.make(name);
      await this.write('memory', KUBEPODS, 'memory.limit_in_bytes', this.options.allocatable.memoryBytes);
      await this.write('cpu', KUBEPODS, 'cpu.shares', milliCpuToShares(this.options.allocatable.cpuMillis));
      await this.write('cpu', QOS_CGROUP.BestEffort, 'cpu.shares', MIN_SHARES);
      // The burstable class's shares wait for updateClasses(): only the whole set of pods tells them
      // (a restarted agent writing them from the few pods it knows so far would starve the others).
    })();
    return this.initialized;
  }

  /** Creates (or, after an agent restart, re-sizes) the pod's cgroup; a no-op when it is as last written. */
  async ensure(pod: Pick<Pod, 'spec' | 'metadata'>): Promise<void> {
    await this.init();
    const uid = pod.metadata.uid ?? '';
    const config = podCgroupConfig(pod);
    if (isDeepStrictEqual(this.pods.get(uid), config)) return;
    await this.make(config.name);
    await this.write('cpu', config.name, 'cpu.shares', config.cpuShares);
    if (config.cpuQuotaUs !== undefined) {
      await this.write('cpu', config.name, 'cpu.cfs_period_us', CPU_PERIOD_US);
      await this.write('cpu', config.name, 'cpu.cfs_quota_us', config.cpuQuotaUs);
    }
    if (config.memoryLimitBytes !== undefined) await this.write('memory', config.name, 'memory.limit_in_bytes', config.memoryLimitBytes);
    this.pods.set(uid, config);
  }

  /**
   * Sizes the QoS class cgroups for the node's whole set of pods (kubelet's
   * QoS container manager): the burstable class's cpu.shares = the sum of its
   * running pods' cpu requests. Writes only when that changed.
   */
  async updateClasses(pods: Iterable<Pick<Pod, 'spec' | 'metadata' | 'status'>>): Promise<void> {
    await this.init();
    const active = [...pods].filter((pod) => !isTerminalPod(pod)).map(podCgroupConfig);
    const shares = burstableShares(active);
    if (shares === this.writtenBurstableShares) return;
    await this.write('cpu', QOS_CGROUP.Burstable, 'cpu.shares', shares);
    this.options.log?.debug({ shares, pods: active.length }, 'burstable QoS cgroup resized');
    this.writtenBurstableShares = shares;
  }

  /** The pod's cgroup name if this agent made one (whatever its class), else undefined. */
  nameOf(uid: string): string | undefined {
    return this.pods.get(uid)?.name;
  }

  /**
   * Removes the pod's cgroup from every hierarchy, under whichever class it is
   * in (the pod may be gone, its spec with it). Its containers' cgroups must be
   * gone already; a cgroup whose last process is still exiting is retried briefly.
   */
  async remove(uid: string): Promise<void> {
    const names = Object.values(QOS_CGROUP).map((qos) => `${qos}/pod${uid}`);
    for (const name of names) await this.removeEverywhere(name);
    this.pods.delete(uid);
  }

  /** The pod uids that have a cgroup here (for sweeping ones left by a crash). */
  async existing(): Promise<string[]> {
    const uids = new Set<string>();
    // Every hierarchy: runc made the pod's directory in those the manager does not write to.
    for (const hierarchy of await this.allHierarchies()) {
      for (const qos of Object.values(QOS_CGROUP)) {
        const dir = cgroupDirIn(hierarchy, `${this.parent}/${qos}`);
        if (!dir) continue;
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const entry of entries) if (entry.isDirectory() && entry.name.startsWith('pod')) uids.add(entry.name.slice(3));
      }
    }
    return [...uids];
  }

  /**
   * Everything below /skiff/<instance>/kubepods, kubepods itself, and
   * /skiff/<instance> once empty (skiff-agent --reset, tests: with the agent stopped).
   */
  async removeAll(): Promise<void> {
    for (const uid of await this.existing()) await this.remove(uid);
    for (const name of [QOS_CGROUP.Burstable, QOS_CGROUP.BestEffort, KUBEPODS]) await this.removeEverywhere(name);
    removeEmptyCgroupParentSync(await this.allHierarchies(), this.parent);
    this.initialized = undefined;
    this.writtenBurstableShares = undefined;
  }

  private async make(name: string): Promise<void> {
    for (const controller of CONTROLLERS) {
      const dir = await this.dir(controller, name);
      if (dir) await mkdir(dir, { recursive: true });
    }
  }

  private async write(controller: Controller, name: string, file: string, value: number): Promise<void> {
    const dir = await this.dir(controller, name);
    if (!dir) return;
    const target = path.join(dir, file);
    try {
      await writeFile(target, String(value));
    } catch (error) {
      // EBUSY: a memory limit below what the cgroup already uses; the kernel keeps the old one.
      const current = await readFile(target, 'utf8').catch(() => '?');
      this.options.log?.warn({ err: error, file: target, value, current: current.trim() }, 'could not set a pod cgroup limit');
    }
  }

  private async removeEverywhere(name: string): Promise<void> {
    const deadline = Date.now() + REMOVE_TIMEOUT_MS;
    for (const hierarchy of await this.allHierarchies()) {
      const dir = cgroupDirIn(hierarchy, `${this.parent}/${name}`);
      if (!dir) continue;
      for (;;) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || Date.now() > deadline) throw new Error(`could not remove cgroup ${dir}: ${code ?? String(error)}`);
          await delay(50);
        }
      }
    }
  }

  private allHierarchies(): Promise<CgroupHierarchy[]> {
    this.hierarchies ??= readMountInfo().then(cgroupHierarchies);
    return this.hierarchies;
  }
}

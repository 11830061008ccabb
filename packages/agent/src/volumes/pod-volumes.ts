// A pod's volumes on this node, laid out as kubelet lays them out:
// <root>/<pod uid>/volumes/kubernetes.io~<plugin>/<volume name>, set up before
// the pod's first container starts and refreshed on every pass (so a changed
// ConfigMap, Secret or pod label reaches the files within seconds), bind
// mounted into each container that names them (subPath checked), shared by
// all of the pod's containers, and unmounted and removed when the pod goes
// (also pods left behind by an agent that restarted: existing() finds them).
import { chmod, chown, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryBytes, messageOf, type Container, type Pod, type Volume } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { BindMount } from '../runtime/runtime.js';
import { writeAtomically } from './atomic-writer.js';
import { volumePayload, VolumeSetupError, type ProjectionContext } from './config-volumes.js';
import { checkHostPath } from './host-path.js';
import { pinSubPath, resolveSubPath } from './sub-path.js';
import { ensureTmpfs, unmountBelow } from './tmpfs.js';

const SAFE_UID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Where subPaths are bound for runc (kubelet's volume-subpaths), beside the plugin directories. */
const SUBPATHS_DIR = '.subpaths';

/** kubelet's plugin directory names. */
const PLUGIN_DIRS: Readonly<Record<string, string>> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  projected: 'kubernetes.io~projected',
  downwardAPI: 'kubernetes.io~downward-api',
};

/** Where each of a pod's volumes is on the host, and why those that could not be set up could not. */
export interface PodVolumeState {
  readonly dirs: ReadonlyMap<string, string>;
  readonly failures: ReadonlyMap<string, string>;
}

export interface PodVolumesOptions {
  /** The agent's per-pod directory root (<state-dir>/pods). */
  readonly rootDir: string;
  readonly context: Omit<ProjectionContext, 'podIP'>;
  readonly log: Logger;
}

export class PodVolumes {
  /** tmpfs mounts made (or found) by this process, so mountinfo is read once per volume. */
  private readonly memoryBacked = new Set<string>();

  constructor(private readonly options: PodVolumesOptions) {}

  /** Sets up (or refreshes) every volume of the pod; one failing does not stop the others. */
  async setUp(pod: Pod, podIP: string | undefined): Promise<PodVolumeState> {
    const dirs = new Map<string, string>();
    const failures = new Map<string, string>();
    for (const volume of pod.spec.volumes ?? []) {
      try {
        dirs.set(volume.name, await this.setUpVolume(pod, volume, podIP));
      } catch (error) {
        const message = `MountVolume.SetUp failed for volume ${JSON.stringify(volume.name)} : ${messageOf(error)}`;
        failures.set(volume.name, message);
        this.options.log.debug({ pod: `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`, volume: volume.name, message }, 'volume not set up');
      }
    }
    return { dirs, failures };
  }

  /** The container's volumeMounts as bind mounts; throws VolumeSetupError while a volume of the pod is not set up. */
  async mountsFor(pod: Pod, container: Container, state: PodVolumeState): Promise<BindMount[]> {
    const [failure] = state.failures.values();
    if (failure !== undefined) throw new VolumeSetupError(failure);
    const mounts: BindMount[] = [];
    for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
      const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
      const dir = state.dirs.get(mount.name);
      if (!volume || dir === undefined) throw new VolumeSetupError(`volumeMount ${JSON.stringify(mount.name)}: the pod has no such volume`);
      let source = dir;
      if (mount.subPath) {
        try {
          const resolved = await resolveSubPath(dir, mount.subPath);
          source = join(this.volumesDir(pod.metadata.uid ?? ''), SUBPATHS_DIR, container.name, String(index));
          await pinSubPath(dir, resolved, source);
        } catch (error) {
          throw new VolumeSetupError(`failed to prepare subPath for volumeMount ${JSON.stringify(mount.name)} of container ${JSON.stringify(container.name)}: ${messageOf(error)}`);
        }
      }
      // kubelet mounts configuration volumes read-only whatever the mount says.
      const readOnly = mount.readOnly === true || isConfigVolume(volume);
      mounts.push({ source, destination: mount.mountPath, readOnly, exec: true });
    }
    return mounts;
  }

  /** Unmounts and removes everything of the pod's volumes. */
  async tearDown(uid: string): Promise<void> {
    const dir = this.volumesDir(uid);
    await unmountBelow(dir);
    for (const path of this.memoryBacked) if (path.startsWith(`${dir}/`)) this.memoryBacked.delete(path);
    await rm(dir, { recursive: true, force: true });
  }

  /** Pods with volumes on this node (a restarted agent tears down those no longer desired). */
  async existing(): Promise<string[]> {
    const uids = await readdir(this.options.rootDir).catch(() => [] as string[]);
    const out: string[] = [];
    for (const uid of uids) {
      if (SAFE_UID.test(uid) && (await stat(join(this.options.rootDir, uid, 'volumes')).catch(() => undefined))) out.push(uid);
    }
    return out;
  }

  private async setUpVolume(pod: Pod, volume: Volume, podIP: string | undefined): Promise<string> {
    if (volume.hostPath) {
      await checkHostPath(volume.hostPath.path, volume.hostPath.type);
      return volume.hostPath.path;
    }
    const plugin = Object.keys(PLUGIN_DIRS).find((key) => volume[key as keyof Volume] !== undefined);
    if (!plugin) throw new VolumeSetupError(`volume ${JSON.stringify(volume.name)} has no source this agent supports`);
    const dir = join(this.volumesDir(pod.metadata.uid ?? ''), PLUGIN_DIRS[plugin] ?? plugin, volume.name);
    const fsGroup = pod.spec.securityContext?.fsGroup;
    if (volume.emptyDir) {
      const fresh = !(await stat(dir).catch(() => undefined));
      await mkdir(dir, { recursive: true });
      if (volume.emptyDir.medium === 'Memory') {
        const sizeLimit = volume.emptyDir.sizeLimit;
        await this.memory(dir, sizeLimit !== undefined ? memoryBytes(sizeLimit) : undefined);
      }
      if (fresh || volume.emptyDir.medium === 'Memory') {
        // kubelet's emptyDir is world-writable (0777), with fsGroup the group's (setgid).
        if (fsGroup !== undefined) await chown(dir, 0, fsGroup);
        await chmod(dir, fsGroup !== undefined ? 0o2777 : 0o777);
      }
      return dir;
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    // Secrets (and projected volumes, which may hold secrets and tokens) stay in memory, as kubelet keeps them.
    if (volume.secret || volume.projected) await this.memory(dir, undefined);
    const payload = await volumePayload(pod, volume, { ...this.options.context, ...(podIP ? { podIP } : {}) });
    if (payload) await writeAtomically(dir, payload, fsGroup !== undefined ? { gid: fsGroup } : {});
    return dir;
  }

  private async memory(dir: string, sizeBytes: number | undefined): Promise<void> {
    if (this.memoryBacked.has(dir)) return;
    await ensureTmpfs(dir, sizeBytes);
    this.memoryBacked.add(dir);
  }

  private volumesDir(uid: string): string {
    if (!SAFE_UID.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a directory`);
    return join(this.options.rootDir, uid, 'volumes');
  }
}

/** Unmounts every pod volume below `rootDir` (skiff-agent --reset, with the agent stopped). */
export function unmountPodVolumes(rootDir: string): Promise<number> {
  return unmountBelow(rootDir);
}

function isConfigVolume(volume: Volume): boolean {
  return volume.configMap !== undefined || volume.secret !== undefined || volume.downwardAPI !== undefined || volume.projected !== undefined;
}

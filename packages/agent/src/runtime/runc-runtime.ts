// The runc driver: each container is an OCI bundle whose rootfs is an overlay
// of the image layers, run by `runc run` under a per-container shim (see
// container-shim.ts), in the cgroup /skiff/<instance>/<id>.
//
// Layout under stateDir: runc/ (runc's --root), containers/<id>/ (see
// container-files.ts).

import { mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import {
  cgroupHierarchies,
  cgroupsPathFor,
  CGROUP_ROOT_NAME,
  removeCgroupDirs,
  removeEmptyCgroupParentSync,
} from './cgroup-fs.js';
import { FILE, writeJsonAtomic, type RuncShimRequest } from './container-files.js';
import { isValidContainerId } from './container-id.js';
import { defaultShimMainPath, type ContainerFiles } from './container-store.js';
import { readMountInfo } from './mountinfo.js';
import { buildOciSpec } from './oci-spec.js';
import { mountOverlay, unmountOverlay } from './overlay-rootfs.js';
import { describeFailure, runCommand } from './run-command.js';
import { isProcessAlive } from './process-probe.js';
import { SupervisedRuntime, type Liveness } from './supervised-runtime.js';
import type { ContainerSpec } from './runtime.js';

export interface RuncRuntimeOptions {
  /** Where bundles, rootfs mounts, runc state and container records live; survives agent restarts. */
  readonly stateDir: string;
  /** Groups this agent's containers in cgroups (/skiff/<instanceName>/…), e.g. the node name. */
  readonly instanceName: string;
  /** runc executable; default "runc" from PATH. */
  readonly runcBinary?: string;
  /** The compiled shim entry; default: dist/runtime/shim-main.js of this package. */
  readonly shimMainPath?: string;
  /** How long start() waits for the container to run; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** What `runc state` reports. */
export interface RuncContainerState {
  readonly status: string;
  readonly pid: number;
}

export class RuncRuntime extends SupervisedRuntime {
  readonly name = 'runc' as const;
  readonly instanceName: string;
  readonly runcBinary: string;
  /** runc's own state directory (--root), private to this state dir. */
  readonly runcRoot: string;

  constructor(options: RuncRuntimeOptions) {
    super({
      stateDir: options.stateDir,
      shimMainPath: options.shimMainPath ?? defaultShimMainPath(),
      ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    });
    // It becomes a cgroup directory name: same rules as container ids.
    if (!isValidContainerId(options.instanceName)) {
      throw new Error(`invalid instanceName ${JSON.stringify(options.instanceName)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    }
    this.instanceName = options.instanceName;
    this.runcBinary = options.runcBinary ?? 'runc';
    this.runcRoot = path.join(path.resolve(options.stateDir), 'runc');
  }

  /** The container's cgroup path, relative to each hierarchy's root. */
  cgroupsPath(id: string): string {
    return cgroupsPathFor(this.instanceName, id);
  }

  /** `runc state <id>`, or undefined if runc does not know the container. */
  async runcState(id: string): Promise<RuncContainerState | undefined> {
    const result = await this.runc(['state', id]);
    if (result.code !== 0) return undefined;
    try {
      const parsed: unknown = JSON.parse(result.stdout);
      if (typeof parsed === 'object' && parsed !== null && 'status' in parsed && 'pid' in parsed) {
        const { status, pid } = parsed;
        if (typeof status === 'string' && typeof pid === 'number') return { status, pid };
      }
    } catch {
      // Treated as unknown below.
    }
    return undefined;
  }

  protected async prepare(spec: ContainerSpec, dir: string, logPath: string): Promise<RuncShimRequest> {
    const rootfs = path.join(dir, FILE.rootfs);
    await mountOverlay({
      layers: spec.layers,
      upperDir: path.join(dir, FILE.upper),
      workDir: path.join(dir, FILE.work),
      target: rootfs,
      emptyLowerDir: path.join(dir, FILE.emptyLower),
    });
    const bundleDir = path.join(dir, FILE.bundle);
    await mkdir(bundleDir, { recursive: true });
    await mkdir(this.runcRoot, { recursive: true, mode: 0o700 });
    const cgroupsPath = this.cgroupsPath(spec.id);
    await writeJsonAtomic(path.join(bundleDir, 'config.json'), buildOciSpec(spec, { rootfsPath: rootfs, cgroupsPath }));
    return {
      kind: 'runc',
      id: spec.id,
      runcBinary: this.runcBinary,
      runcRoot: this.runcRoot,
      bundleDir,
      pidFile: path.join(dir, FILE.pidFile),
      runcLogPath: path.join(dir, FILE.runcLog),
      cgroupsPath,
      logPath,
    };
  }

  protected async probe(files: ContainerFiles): Promise<Liveness> {
    // Fast path, taken on every reconcile pass: the shim recorded the
    // container's init pid and its start time, so /proc answers "still
    // running" without spawning runc once per container.
    const pid = files.shim?.pid;
    if (pid !== undefined && files.shim?.pidStartTicks !== undefined && (await isProcessAlive(pid, files.shim.pidStartTicks))) {
      return { kind: 'running', pid };
    }
    const state = await this.runcState(files.record.id);
    switch (state?.status) {
      case 'running':
      case 'pausing':
      case 'paused':
        return { kind: 'running', pid: state.pid };
      case 'creating':
      case 'created':
        return { kind: 'starting' };
      default:
        // "stopped", or runc no longer knows it (the shim deleted it).
        return { kind: 'stopped' };
    }
  }

  protected async signal(files: ContainerFiles, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    // Only the container's init is signalled: when it dies the kernel ends the
    // rest of its PID namespace. Failure means it is not running any more.
    await this.runc(['kill', files.record.id, signal.slice(3)]);
  }

  protected async cleanup(id: string): Promise<void> {
    const deleted = await this.runc(['delete', '--force', id]);
    if (deleted.code !== 0 && !/does not exist/.test(deleted.stderr)) {
      throw new Error(`removing container ${id}: ${describeFailure('runc delete', deleted)}`);
    }
    await unmountOverlay(path.join(this.store.dir(id), FILE.rootfs));
    await removeCgroupDirs(this.cgroupsPath(id));
  }

  /**
   * runc never removes the parents of a container's cgroup; drop
   * /skiff/<instance> once it is empty. /skiff itself is shared with other
   * agents on the host and left alone: removing it could race another
   * agent's runc creating its own directories below it.
   */
  protected override async afterRemove(): Promise<void> {
    const hierarchies = cgroupHierarchies(await readMountInfo());
    // Checked and removed in one synchronous step: a start of ours in flight
    // could otherwise have runc create /skiff/<instance>/<id> in between.
    if (this.startsInFlight === 0) {
      removeEmptyCgroupParentSync(hierarchies, `/${CGROUP_ROOT_NAME}/${this.instanceName}`);
    }
  }

  private runc(args: readonly string[]): ReturnType<typeof runCommand> {
    return runCommand(this.runcBinary, ['--root', this.runcRoot, ...args]);
  }
}

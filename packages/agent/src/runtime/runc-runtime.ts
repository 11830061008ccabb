// The runc driver: each container is an OCI bundle whose rootfs is an overlay
// of the image layers, created by conmon (`runc create`, see conmon.ts) and
// started by `runc start`, in the cgroup /skiff/<instance>/<id>. conmon stays
// its parent and records its exit; no process of ours stays behind.
//
// State is derived from the state dir, conmon's files and runc, never from
// memory, so a new instance over the same stateDir (after an agent restart)
// adopts running containers: same pid, no restart.
//
// Layout under stateDir: runc/ (runc's --root), sockets/ (conmon's attach
// sockets), containers/<id>/ (see container-files.ts and conmon.ts).

import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import {
  cgroupHierarchies,
  cgroupsPathFor,
  CGROUP_ROOT_NAME,
  readOomKillCount,
  removeCgroupDirs,
  removeEmptyCgroupParentSync,
} from './cgroup-fs.js';
import { launchConmon, readConmonExit, readPidFile, requestLogReopen } from './conmon.js';
import { FILE, isMonitorRecord, readJsonFile, writeJsonAtomic, type MonitorRecord } from './container-files.js';
import { assertValidContainerId, isValidContainerId } from './container-id.js';
import { ContainerStore, type ContainerFiles } from './container-store.js';
import { readMountInfo } from './mountinfo.js';
import { buildOciSpec } from './oci-spec.js';
import { prepareOverlayRoot, unmountOverlay } from './overlay-rootfs.js';
import { pollUntil } from './poll.js';
import { isProcessAlive, readProcessStat } from './process-probe.js';
import { describeFailure, runCommand } from './run-command.js';
import { runcExec } from './runc-exec.js';
import { ContainerStartError } from './start-error.js';
import { FailedPreconditionError, NotFoundError } from '@skiff/api/core';
import type { ContainerSpec, ContainerState, ExecOptions, ExecSession, Runtime } from './runtime.js';
import { waitCreated } from './wait-created.js';

export { ContainerStartError } from './start-error.js';

const MIB = 1024 * 1024;

export interface RuncRuntimeOptions {
  /** Where bundles, rootfs mounts, runc state and container records live; survives agent restarts. */
  readonly stateDir: string;
  /** Groups this agent's containers in cgroups (/skiff/<instanceName>/…), e.g. the node name. */
  readonly instanceName: string;
  /** runc executable; default "runc" from PATH (an absolute path is looked up for conmon). */
  readonly runcBinary?: string;
  /** conmon executable; default /usr/bin/conmon. */
  readonly conmonBinary?: string;
  /** How long start() waits for the container to run; default 30 s. */
  readonly startTimeoutMs?: number;
  /** A container's log is rotated once it reaches this size; default 10 MiB (kubelet's containerLogMaxSize). */
  readonly logMaxBytes?: number;
  /** Log files kept per container, the current one included; default 5 (kubelet's containerLogMaxFiles). */
  readonly logMaxFiles?: number;
}

/** What `runc state` reports. */
export interface RuncContainerState {
  readonly status: string;
  readonly pid: number;
}

const EXIT_SIGKILL = 128 + 9;
/** After SIGKILL the exit must follow promptly; this bounds a wedged kernel or runc. */
const KILL_TIMEOUT_MS = 15_000;
/** How long state() waits for conmon to write the exit file of a container that just stopped. */
const RECORDING_WAIT_MS = 2_000;
/** A container without a pid file younger than this may still be being created. */
const STARTING_GRACE_MS = 30_000;

export class RuncRuntime implements Runtime {
  readonly name = 'runc' as const;
  readonly instanceName: string;
  readonly runcBinary: string;
  readonly conmonBinary: string;
  /** runc's own state directory (--root), private to this state dir. */
  readonly runcRoot: string;
  readonly logMaxBytes: number;
  readonly logMaxFiles: number;
  private readonly store: ContainerStore;
  private readonly socketDir: string;
  private readonly startTimeoutMs: number;
  /** Starts that may be creating cgroups right now (see afterRemove). */
  private startsInFlight = 0;
  /** runcBinary found on PATH (absoluteRunc). */
  private resolvedRunc: string | undefined;

  constructor(options: RuncRuntimeOptions) {
    // It becomes a cgroup directory name: same rules as container ids.
    if (!isValidContainerId(options.instanceName)) {
      throw new Error(`invalid instanceName ${JSON.stringify(options.instanceName)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    }
    const stateDir = path.resolve(options.stateDir);
    this.store = new ContainerStore(stateDir);
    this.instanceName = options.instanceName;
    this.runcBinary = options.runcBinary ?? 'runc';
    this.conmonBinary = options.conmonBinary ?? '/usr/bin/conmon';
    this.runcRoot = path.join(stateDir, 'runc');
    this.socketDir = path.join(stateDir, 'sockets');
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.logMaxBytes = options.logMaxBytes ?? 10 * MIB;
    this.logMaxFiles = Math.max(1, options.logMaxFiles ?? 5);
  }

  /** The container's cgroup path, relative to each hierarchy's root (below its pod's cgroup when it has one). */
  cgroupsPath(id: string, cgroupParent?: string): string {
    return cgroupsPathFor(this.instanceName, id, cgroupParent);
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

  async start(spec: ContainerSpec): Promise<ContainerState> {
    assertValidContainerId(spec.id);
    if (spec.argv.length === 0) throw new Error(`container ${spec.id}: argv is empty`);
    const dir = this.store.dir(spec.id);
    const logPath = this.store.file(spec.id, FILE.log);
    this.startsInFlight += 1;
    let counted = true;
    let created = false;
    try {
      await this.store.create({
        id: spec.id,
        driver: this.name,
        labels: { ...spec.labels },
        logPath,
        createdAt: new Date().toISOString(),
        ...(spec.cgroupParent !== undefined ? { cgroupParent: spec.cgroupParent } : {}),
      });
      created = true;
      const bundleDir = await this.prepareBundle(spec, dir);
      await launchConmon({
        conmonBinary: this.conmonBinary,
        runcBinary: await this.absoluteRunc(),
        runcRoot: this.runcRoot,
        id: spec.id,
        dir,
        bundleDir,
        logPath,
        // A safety net only: rotation (rotateLogs) keeps the file below logMaxBytes.
        logSizeMax: 2 * this.logMaxBytes,
        socketDir: this.socketDir,
      });
      const created_ = await this.waitCreated(spec.id, dir);
      const started = await this.runc(['start', spec.id]);
      if (started.code !== 0) throw new ContainerStartError(spec.id, describeFailure('runc start', started));
      const conmon = await readPidFile(path.join(dir, FILE.conmonPid));
      const [pidStat, conmonStat] = await Promise.all([readProcessStat(created_.pid), conmon && readProcessStat(conmon.pid)]);
      const monitor: MonitorRecord = {
        pid: created_.pid,
        startedAt: new Date().toISOString(),
        ...(pidStat ? { pidStartTicks: pidStat.startTicks } : {}),
        ...(conmon && conmonStat ? { conmonPid: conmon.pid, conmonStartTicks: conmonStat.startTicks } : {}),
      };
      await writeJsonAtomic(path.join(dir, FILE.monitor), monitor);
      const state = await this.state(spec.id);
      if (state === undefined) throw new ContainerStartError(spec.id, 'its state directory vanished');
      return state;
    } catch (error) {
      if (created) {
        // Leave nothing half-made behind: the caller will retry with the same id.
        this.startsInFlight -= 1;
        counted = false;
        await this.remove(spec.id).catch(() => undefined);
      }
      throw error;
    } finally {
      if (counted) this.startsInFlight -= 1;
    }
  }

  async stop(id: string, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ContainerState> {
    const files = await this.store.mustReadOwn(id, this.name);
    const current = await this.stateOf(files);
    if (current.status === 'exited') return current;
    // Only the container's init is signalled: when it dies the kernel ends the
    // rest of its PID namespace. Failure means it is not running any more.
    await this.runc(['kill', id, signal]);
    let done = await this.waitExited(files, Math.max(0, graceMs));
    if (done === undefined) {
      // Still running after the grace period (sh as PID 1 ignores SIGTERM, for one).
      await this.runc(['kill', id, 'KILL']);
      done = await this.waitExited(files, KILL_TIMEOUT_MS);
    }
    if (done === undefined) throw new Error(`container ${id} still runs ${KILL_TIMEOUT_MS} ms after SIGKILL`);
    return done;
  }

  async remove(id: string): Promise<void> {
    if (!isValidContainerId(id)) return;
    if (!(await this.store.ids()).includes(id)) return;
    const files = await this.store.read(id);
    if (files !== undefined && files.record.driver !== this.name) return;
    // Running: stopped first. Half-created ('unknown'): `runc delete --force` ends it, and conmon with it.
    if (files !== undefined && (await this.stateOf(files)).status === 'running') await this.stop(id, 0);
    const deleted = await this.runc(['delete', '--force', id]);
    if (deleted.code !== 0 && !/does not exist/.test(deleted.stderr)) {
      throw new Error(`removing container ${id}: ${describeFailure('runc delete', deleted)}`);
    }
    await unmountOverlay(path.join(this.store.dir(id), FILE.rootfs));
    await removeCgroupDirs(this.cgroupsPath(id, files?.record.cgroupParent));
    await rm(path.join(this.socketDir, id), { recursive: true, force: true });
    await this.store.removeDir(id);
    this.afterRemove(await readMountInfo());
  }

  async state(id: string): Promise<ContainerState | undefined> {
    const files = await this.store.readOwn(id, this.name);
    return files && this.stateOf(files);
  }

  /** Every container; rotates the logs of running ones that reached their size on the way (the reconciler lists on every pass). */
  async list(): Promise<ContainerState[]> {
    const ids = await this.store.ids();
    const states = (await Promise.all(ids.map((id) => this.state(id)))).filter((s): s is ContainerState => s !== undefined);
    await Promise.all(states.filter((s) => s.status === 'running').map((s) => this.rotateLog(s.id).catch(() => false)));
    return states;
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const name = options.containerName ?? `container ${id}`;
    const files = isValidContainerId(id) ? await this.store.readOwn(id, this.name) : undefined;
    if (!files) throw new NotFoundError(`${name} not found on this node`);
    const state = await this.stateOf(files);
    if (state.status !== 'running') throw new FailedPreconditionError(`${name} is not running`);
    return await runcExec({ runcBinary: this.runcBinary, runcRoot: this.runcRoot, id, dir: files.dir }, options);
  }

  /**
   * Rotates a running container's log once it reached logMaxBytes, as kubelet
   * does for CRI-O: container.log.N-1 → .N …, container.log → .1, then conmon
   * reopens container.log. At most logMaxFiles files remain. Returns whether it rotated.
   */
  async rotateLog(id: string): Promise<boolean> {
    const logPath = this.store.file(id, FILE.log);
    const size = await stat(logPath).then((s) => s.size, () => 0);
    if (size < this.logMaxBytes) return false;
    const keep = this.logMaxFiles - 1;
    await rm(`${logPath}.${Math.max(1, keep)}`, { force: true });
    for (let n = keep - 1; n >= 1; n--) await rename(`${logPath}.${n}`, `${logPath}.${n + 1}`).catch(() => undefined);
    if (keep === 0) {
      // A single file: nothing is kept, conmon starts it afresh.
      await rm(logPath, { force: true });
    } else {
      await rename(logPath, `${logPath}.1`);
    }
    return requestLogReopen(this.store.file(id, FILE.bundle));
  }

  private async prepareBundle(spec: ContainerSpec, dir: string): Promise<string> {
    const rootfs = path.join(dir, FILE.rootfs);
    const rootfsMount = await prepareOverlayRoot({
      layers: spec.layers,
      upperDir: path.join(dir, FILE.upper),
      workDir: path.join(dir, FILE.work),
      target: rootfs,
      emptyLowerDir: path.join(dir, FILE.emptyLower),
    });
    const bundleDir = path.join(dir, FILE.bundle);
    await mkdir(bundleDir, { recursive: true });
    await mkdir(this.runcRoot, { recursive: true, mode: 0o700 });
    const cgroupsPath = this.cgroupsPath(spec.id, spec.cgroupParent);
    await writeJsonAtomic(path.join(bundleDir, 'config.json'), buildOciSpec(spec, { rootfsPath: rootfs, rootfsMount, cgroupsPath }));
    return bundleDir;
  }

  /** Waits for conmon's `runc create` to write the container's pid file; a ContainerStartError if it fails. */
  private waitCreated(id: string, dir: string): Promise<{ pid: number }> {
    return waitCreated(id, dir, this.startTimeoutMs);
  }

  private async stateOf(files: ContainerFiles): Promise<ContainerState> {
    const { record, dir } = files;
    const monitor = await readJsonFile(path.join(dir, FILE.monitor), isMonitorRecord);
    const base = {
      id: record.id,
      labels: record.labels,
      logPath: record.logPath,
      logFormat: 'cri' as const,
      ...(monitor ? { startedAt: monitor.startedAt } : {}),
    };
    const exited = async (): Promise<ContainerState | undefined> => {
      const exit = await readConmonExit(dir, record.id);
      if (exit === undefined) return undefined;
      // The OOM killer sends SIGKILL; conmon's oom file, else the cgroup's
      // counter (kept until `runc delete`), tells that apart from stop()'s.
      const oomKilled =
        exit.oomReported ||
        (exit.exitCode === EXIT_SIGKILL && ((await readOomKillCount(this.cgroupsPath(record.id, record.cgroupParent)).catch(() => undefined)) ?? 0) > 0);
      return { ...base, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt, oomKilled };
    };
    const recorded = await exited();
    if (recorded) return recorded;
    // Fast path, taken on every reconcile pass: /proc answers "still running"
    // without spawning runc once per container.
    if (monitor?.pidStartTicks !== undefined && (await isProcessAlive(monitor.pid, monitor.pidStartTicks))) {
      return { ...base, status: 'running', pid: monitor.pid };
    }
    const runc = await this.runcState(record.id);
    if (runc?.status === 'running' || runc?.status === 'pausing' || runc?.status === 'paused') {
      return { ...base, status: 'running', pid: runc.pid };
    }
    const young = Date.now() - Date.parse(record.createdAt) < STARTING_GRACE_MS;
    if (runc?.status === 'creating' || runc?.status === 'created') {
      // Created but never started: the agent that was starting it died in
      // between. Past the grace period it is over (remove() deletes it).
      return monitor === undefined && !young ? { ...base, status: 'exited' } : { ...base, status: 'unknown' };
    }
    // Stopped, or runc no longer knows it.
    const conmon = monitor?.conmonPid;
    if (conmon !== undefined && (await isProcessAlive(conmon, monitor?.conmonStartTicks))) {
      // conmon is writing the exit file right now.
      const exit = await pollUntil(exited, { timeoutMs: RECORDING_WAIT_MS });
      return exit ?? { ...base, status: 'unknown' };
    }
    const late = await exited();
    if (late) return late;
    if (monitor === undefined && young) return { ...base, status: 'unknown' };
    // conmon is gone without a record (killed with -9): the container has
    // stopped, but how it ended is lost.
    return { ...base, status: 'exited' };
  }

  private async waitExited(files: ContainerFiles, timeoutMs: number): Promise<ContainerState | undefined> {
    return pollUntil(
      async () => {
        const state = await this.stateOf(files);
        return state.status === 'exited' ? state : undefined;
      },
      { timeoutMs },
    );
  }

  /**
   * runc never removes the parents of a container's cgroup; drop
   * /skiff/<instance> once it is empty. /skiff itself is shared with other
   * agents on the host and left alone: removing it could race another
   * agent's runc creating its own directories below it.
   */
  private afterRemove(mounts: Awaited<ReturnType<typeof readMountInfo>>): void {
    // Checked and removed in one synchronous step: a start of ours in flight
    // could otherwise have runc create /skiff/<instance>/<id> in between.
    if (this.startsInFlight === 0) {
      removeEmptyCgroupParentSync(cgroupHierarchies(mounts), `/${CGROUP_ROOT_NAME}/${this.instanceName}`);
    }
  }

  /** conmon runs runc by path: a bare name resolved from PATH, once found (a stat of each PATH entry per start before). */
  private async absoluteRunc(): Promise<string> {
    if (this.runcBinary.includes('/')) return this.runcBinary;
    if (this.resolvedRunc !== undefined) return this.resolvedRunc;
    for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
      const candidate = path.join(dir || '.', this.runcBinary);
      if (await stat(candidate).then((s) => s.isFile(), () => false)) return (this.resolvedRunc = candidate);
    }
    throw new Error(`${this.runcBinary} not found in PATH`);
  }

  private runc(args: readonly string[]): ReturnType<typeof runCommand> {
    return runCommand(this.runcBinary, ['--root', this.runcRoot, ...args]);
  }
}

// A runtime whose containers are each supervised by a Node.js shim that
// records the exit in the state dir (the process driver's; runc containers run
// under conmon instead). start/stop/state/list/remove follow one protocol; a
// driver says how a container is prepared, probed, signalled and cleaned up.
//
// State is always derived from the state dir plus a live probe, never from
// memory, so a new instance over the same stateDir (after an agent restart)
// adopts running containers: same pid, no restart.

import { readFile } from 'node:fs/promises';
import { FILE, type ContainerRecord, type DriverName, type ExitRecord, type ShimRequest } from './container-files.js';
import { assertValidContainerId, isValidContainerId } from './container-id.js';
import {
  ContainerStore,
  exitedState,
  runningState,
  unknownState,
  type ContainerFiles,
} from './container-store.js';
import { pollUntil } from './poll.js';
import { isProcessAlive } from './process-probe.js';
import type { ContainerSpec, ContainerState, ExecOptions, ExecSession, Runtime } from './runtime.js';
import { ContainerStartError } from './start-error.js';

export { ContainerStartError };

/** What a driver can tell about its container without the shim. */
export type Liveness =
  | { readonly kind: 'running'; readonly pid?: number }
  /** Being created, not yet running the user's process. */
  | { readonly kind: 'starting' }
  | { readonly kind: 'stopped' };

export interface SupervisedRuntimeOptions {
  readonly stateDir: string;
  /** The compiled shim-main.js; defaults to the one in this package's dist/. */
  readonly shimMainPath: string;
  /** How long start() waits for the container to run; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** After SIGKILL the exit must follow promptly; this bounds a wedged kernel. */
const KILL_TIMEOUT_MS = 15_000;
/** How long state() waits for a shim that is recording an exit right now. */
const RECORDING_WAIT_MS = 2_000;
/** A container without shim.json younger than this may still be starting. */
const STARTING_GRACE_MS = 30_000;
/** remove() waits this long for the shim to finish before cleaning up itself. */
const SHIM_EXIT_WAIT_MS = 10_000;

export abstract class SupervisedRuntime implements Runtime {
  abstract readonly name: DriverName;
  protected readonly store: ContainerStore;
  private readonly startTimeoutMs: number;

  protected constructor(options: SupervisedRuntimeOptions) {
    this.store = new ContainerStore(options.stateDir, options.shimMainPath);
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
  }

  /** Creates what the container needs (rootfs, bundle …) and says what the shim must run. */
  protected abstract prepare(spec: ContainerSpec, dir: string, logPath: string): Promise<ShimRequest>;
  /** Whether the container's process runs, asked of the system (/proc), not of the shim. */
  protected abstract probe(files: ContainerFiles): Promise<Liveness>;
  protected abstract signal(files: ContainerFiles, signal: NodeJS.Signals): Promise<void>;
  /** Releases what the driver made outside the container's directory, once it is not running. */
  protected abstract cleanup(id: string): Promise<void>;
  abstract exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /** Runs after a container's directory is gone. */
  protected async afterRemove(): Promise<void> {}

  async start(spec: ContainerSpec): Promise<ContainerState> {
    assertValidContainerId(spec.id);
    if (spec.argv.length === 0) throw new Error(`container ${spec.id}: argv is empty`);
    const record: ContainerRecord = {
      id: spec.id,
      driver: this.name,
      labels: { ...spec.labels },
      logPath: this.store.file(spec.id, FILE.log),
      createdAt: new Date().toISOString(),
    };
    let created = false;
    try {
      await this.store.create(record);
      created = true;
      const request = await this.prepare(spec, this.store.dir(spec.id), record.logPath);
      const shimPid = await this.store.startShim(spec.id, request);
      return await this.waitUntilStarted(spec.id, shimPid);
    } catch (error) {
      // Leave nothing half-made behind: the caller will retry with the same id.
      if (created) await this.remove(spec.id).catch(() => undefined);
      throw error;
    }
  }

  async stop(id: string, graceMs: number, stopSignal: NodeJS.Signals = 'SIGTERM'): Promise<ContainerState> {
    const files = await this.store.mustReadOwn(id, this.name);
    const current = await this.stateOf(files);
    if (current.status === 'exited') return current;

    await this.signal(files, stopSignal);
    let outcome = await this.waitExited(id, Math.max(0, graceMs));
    if (outcome === undefined) {
      // Still running after the grace period (sh as PID 1 ignores SIGTERM, for one).
      await this.signal((await this.store.read(id)) ?? files, 'SIGKILL');
      outcome = await this.waitExited(id, KILL_TIMEOUT_MS);
    }
    if (outcome === undefined) throw new Error(`container ${id} still runs ${KILL_TIMEOUT_MS} ms after SIGKILL`);
    const after = await this.store.read(id);
    return after !== undefined ? exitedState(after) : exitedState(files);
  }

  async remove(id: string): Promise<void> {
    if (!isValidContainerId(id)) return;
    const ids = await this.store.ids();
    if (!ids.includes(id)) return;
    const files = await this.store.read(id);
    if (files !== undefined && files.record.driver !== this.name) return;
    if (files !== undefined) {
      const current = await this.stateOf(files);
      if (current.status !== 'exited') await this.stop(id, 0);
      // Let the shim finish so the two do not clean up the same things at once.
      await this.store.waitForShimGone(id, SHIM_EXIT_WAIT_MS);
    }
    await this.cleanup(id);
    await this.store.removeDir(id);
    await this.afterRemove();
  }

  async state(id: string): Promise<ContainerState | undefined> {
    const files = await this.store.readOwn(id, this.name);
    return files && this.stateOf(files);
  }

  async list(): Promise<ContainerState[]> {
    const ids = await this.store.ids();
    const states = await Promise.all(ids.map((id) => this.state(id)));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  private async stateOf(files: ContainerFiles): Promise<ContainerState> {
    if (files.exit !== undefined) return exitedState(files);
    const live = await this.probe(files);
    if (live.kind === 'running') return runningState(files, live.pid ?? files.shim?.pid);
    if (live.kind === 'starting') return unknownState(files);
    // Not running, and no exit recorded (yet).
    const id = files.record.id;
    if (await this.store.shimAlive(files)) {
      // The shim is writing it down right now.
      const exit = await pollUntil(() => this.store.readExit(id), { timeoutMs: RECORDING_WAIT_MS });
      return exit !== undefined ? exitedState({ ...files, exit }) : unknownState(files);
    }
    const exit = await this.store.readExit(id);
    if (exit !== undefined) return exitedState({ ...files, exit });
    if (files.shim === undefined && Date.now() - Date.parse(files.record.createdAt) < STARTING_GRACE_MS) {
      return unknownState(files);
    }
    // The shim is gone without a record (killed with -9): the container has
    // stopped, but how it ended is lost.
    return exitedState(files);
  }

  /** The recorded exit, 'unrecorded' if it stopped while no shim was watching, undefined on timeout. */
  private waitExited(id: string, timeoutMs: number): Promise<ExitRecord | 'unrecorded' | undefined> {
    return pollUntil<ExitRecord | 'unrecorded'>(
      async () => {
        const exit = await this.store.readExit(id);
        if (exit !== undefined) return exit;
        const files = await this.store.read(id);
        if (files === undefined) return 'unrecorded';
        // No shim watching (killed, or never got as far as recording itself):
        // ask the system directly whether the container still runs.
        if (!(await this.store.shimAlive(files)) && (await this.probe(files)).kind === 'stopped') {
          return (await this.store.readExit(id)) ?? 'unrecorded';
        }
        return undefined;
      },
      { timeoutMs },
    );
  }

  private async waitUntilStarted(id: string, shimPid: number): Promise<ContainerState> {
    const state = await pollUntil<ContainerState>(
      async () => {
        const files = await this.store.read(id);
        if (files === undefined) throw new ContainerStartError(id, 'its state directory vanished');
        if (files.exit !== undefined) {
          if (files.exit.startError !== undefined || files.shim?.pid === undefined) {
            throw new ContainerStartError(id, files.exit.startError ?? 'it exited before it started');
          }
          // Ran, and is already done (e.g. `echo hello`).
          return exitedState(files);
        }
        if (files.shim?.pid !== undefined) {
          const live = await this.probe(files);
          if (live.kind === 'running') return runningState(files, live.pid ?? files.shim.pid);
        }
        if (!(await isProcessAlive(shimPid)) && (await this.store.readExit(id)) === undefined) {
          throw new ContainerStartError(id, `its shim exited without a record: ${await this.shimLogTail(id)}`);
        }
        return undefined;
      },
      { timeoutMs: this.startTimeoutMs, intervalMs: 20 },
    );
    if (state === undefined) throw new ContainerStartError(id, `not running after ${this.startTimeoutMs} ms`);
    return state;
  }

  private async shimLogTail(id: string): Promise<string> {
    try {
      const text = await readFile(this.store.file(id, FILE.shimLog), 'utf8');
      return text.trim().split('\n').slice(-5).join(' | ') || '(shim.log is empty)';
    } catch {
      return '(no shim.log)';
    }
  }
}

// The state-dir bookkeeping both drivers share: creating a container's
// directory and record and reading them back; for the process driver also
// starting its shim and reading what the shim recorded. It knows nothing about
// runc or conmon; liveness of the container itself is the driver's business,
// liveness of the shim is answered here.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FILE,
  containerDir,
  containersRoot,
  isContainerRecord,
  isExitRecord,
  isShimRecord,
  readJsonFile,
  writeJsonAtomic,
  type ContainerRecord,
  type DriverName,
  type ExitRecord,
  type ShimRecord,
  type ShimRequest,
} from './container-files.js';
import { assertValidContainerId, isValidContainerId } from './container-id.js';
import { pollUntil } from './poll.js';
import { isProcessAlive } from './process-probe.js';
import type { ContainerState } from './runtime.js';

export class ContainerExistsError extends Error {
  constructor(readonly id: string) {
    super(`container ${id} already exists`);
    this.name = 'ContainerExistsError';
  }
}

export class UnknownContainerError extends Error {
  constructor(readonly id: string) {
    super(`unknown container ${id}`);
    this.name = 'UnknownContainerError';
  }
}

/** Everything recorded about one container. */
export interface ContainerFiles {
  readonly dir: string;
  readonly record: ContainerRecord;
  readonly shim?: ShimRecord;
  readonly exit?: ExitRecord;
}

/**
 * The compiled shim entry. From dist/ it sits next to this file; when this
 * module runs from sources (vitest), the compiled copy is in the package's
 * dist/ at the same relative place, since the shim must be plain JavaScript
 * that `node` can start on its own.
 */
export function defaultShimMainPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'shim-main.js');
  if (existsSync(beside)) return beside;
  return path.join(here.replace(/\/src\/runtime$/, '/dist/runtime'), 'shim-main.js');
}

export class ContainerStore {
  readonly root: string;

  constructor(
    readonly stateDir: string,
    /** Only for startShim(): runc containers have no shim. */
    private readonly shimMainPath?: string,
  ) {
    this.root = containersRoot(stateDir);
  }

  dir(id: string): string {
    return containerDir(this.stateDir, id);
  }

  file(id: string, name: string): string {
    return path.join(this.dir(id), name);
  }

  /** Creates the container's directory and record; throws ContainerExistsError if it exists. */
  async create(record: ContainerRecord): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    try {
      // Not recursive: EEXIST is the atomic "someone else has this id".
      await mkdir(this.dir(record.id), { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerExistsError(record.id);
      throw error;
    }
    await writeJsonAtomic(this.file(record.id, FILE.record), record);
    // Exists from the start so readers (log tailers) never race its creation.
    closeSync(openSync(record.logPath, 'a', 0o600));
  }

  async read(id: string): Promise<ContainerFiles | undefined> {
    if (!isValidContainerId(id)) return undefined;
    const dir = this.dir(id);
    const record = await readJsonFile(path.join(dir, FILE.record), isContainerRecord);
    if (record === undefined) return undefined;
    // exit.json before shim.json: once the exit is there, shim.json is final,
    // so the pair is consistent even if the shim writes in between.
    const exit = await readJsonFile(path.join(dir, FILE.exit), isExitRecord);
    const shim = await readJsonFile(path.join(dir, FILE.shim), isShimRecord);
    return { dir, record, ...(shim ? { shim } : {}), ...(exit ? { exit } : {}) };
  }

  /** The container's files if it exists and was made by `driver` (another driver's containers are not ours to touch). */
  async readOwn(id: string, driver: DriverName): Promise<ContainerFiles | undefined> {
    const files = await this.read(id);
    return files?.record.driver === driver ? files : undefined;
  }

  /** readOwn() for operations on a container that must exist: an invalid id or an unknown container throws. */
  async mustReadOwn(id: string, driver: DriverName): Promise<ContainerFiles> {
    assertValidContainerId(id);
    const files = await this.readOwn(id, driver);
    if (files === undefined) throw new UnknownContainerError(id);
    return files;
  }

  readExit(id: string): Promise<ExitRecord | undefined> {
    return readJsonFile(this.file(id, FILE.exit), isExitRecord);
  }

  /** Ids with a directory, including half-created ones (for cleanup); only valid ids. */
  async ids(): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isValidContainerId(e.name)).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Writes the request and starts the shim: detached (its own session, so the
   * agent's terminal, process group or death do not reach it), output in
   * shim.log, unref'd (the agent may exit while it runs).
   */
  async startShim(id: string, request: ShimRequest): Promise<number> {
    if (this.shimMainPath === undefined || !existsSync(this.shimMainPath)) {
      throw new Error(`shim entry ${this.shimMainPath} not found: build the agent first (npx tsc -b packages/agent)`);
    }
    await writeJsonAtomic(this.file(id, FILE.request), request);
    const out = openSync(this.file(id, FILE.shimLog), 'a', 0o600);
    try {
      const child = spawn(process.execPath, [this.shimMainPath, this.dir(id)], {
        detached: true,
        stdio: ['ignore', out, out],
        cwd: '/',
        // A clean environment: the shim must not inherit loaders or debug
        // hooks meant for the agent (NODE_OPTIONS, a test runner's …).
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`shim for ${id} started without a pid`);
      return child.pid;
    } finally {
      closeSync(out);
    }
  }

  /** True while the shim recorded in shim.json runs (same pid and start time). */
  async shimAlive(files: ContainerFiles): Promise<boolean> {
    if (files.shim === undefined) return false;
    return isProcessAlive(files.shim.shimPid, files.shim.shimStartTicks);
  }

  /** Waits (bounded) for the shim process to finish its work after the exit. */
  async waitForShimGone(id: string, timeoutMs: number): Promise<boolean> {
    const gone = await pollUntil(
      async () => {
        const files = await this.read(id);
        return files === undefined || !(await this.shimAlive(files)) ? true : undefined;
      },
      { timeoutMs },
    );
    return gone === true;
  }

  async removeDir(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}

/** The ContainerState of a container whose exit the shim recorded (or that cannot run any more). */
export function exitedState(files: ContainerFiles): ContainerState {
  const { record, shim, exit } = files;
  return {
    id: record.id,
    labels: record.labels,
    status: 'exited',
    logPath: record.logPath,
    ...(shim?.startedAt !== undefined ? { startedAt: shim.startedAt } : {}),
    ...(exit !== undefined ? { finishedAt: exit.finishedAt, oomKilled: exit.oomKilled } : {}),
    ...(exit?.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
  };
}

export function runningState(files: ContainerFiles, pid: number | undefined): ContainerState {
  const { record, shim } = files;
  return {
    id: record.id,
    labels: record.labels,
    status: 'running',
    logPath: record.logPath,
    ...(pid !== undefined ? { pid } : {}),
    ...(shim?.startedAt !== undefined ? { startedAt: shim.startedAt } : {}),
  };
}

export function unknownState(files: ContainerFiles): ContainerState {
  const { record, shim } = files;
  return {
    id: record.id,
    labels: record.labels,
    status: 'unknown',
    logPath: record.logPath,
    ...(shim?.startedAt !== undefined ? { startedAt: shim.startedAt } : {}),
  };
}

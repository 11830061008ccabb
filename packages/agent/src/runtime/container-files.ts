// The on-disk contract between a runtime driver and the shims it starts. Each
// container has one directory under <stateDir>/containers/<id>; everything the
// runtime knows about a container is in it, so a new agent process (or a new
// Runtime instance) reads the same truth as the one that started it.
//
//   container.json   ContainerRecord: labels, driver, log path (driver, once)
//   container.log    the container's stdout+stderr (runc: CRI format, rotated
//                    to container.log.1 …)
//   process driver only:
//     shim-request.json ShimRequest: what the shim must run (driver, once)
//     shim.json      ShimRecord: shim pid, then process pid + start time (shim)
//     exit.json      ExitRecord: exit code, finish time (shim, once)
//     shim.log       the shim's own output (its crashes, never the container's)
//   runc only: bundle/config.json, rootfs/ (root.path: empty on the host, runc
//              mounts the overlay on it in the container's namespace), upper/, work/,
//              runc.log (runc's own log), monitor.json (MonitorRecord), and
//              conmon's files (see conmon.ts)
//
// Every file that is read while another process may be writing it is written
// atomically (temp file + rename), so a reader sees the old or the new
// version, never half of one.

import { writeFileAtomic } from '@skiff/api/atomic-file';
import { readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { isRecord } from '@skiff/api/json-guards';

export type DriverName = 'runc' | 'process';

export interface ContainerRecord {
  readonly id: string;
  readonly driver: DriverName;
  readonly labels: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly createdAt: string;
  /** The spec's cgroupParent (runc driver), so the container's cgroup is found again after a restart. */
  readonly cgroupParent?: string;
}

export interface ProcessShimRequest {
  readonly kind: 'process';
  readonly id: string;
  readonly argv: readonly string[];
  /** The complete environment of the process. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly logPath: string;
}

/** What a shim runs (the process driver's; runc containers run under conmon, see conmon.ts). */
export type ShimRequest = ProcessShimRequest;

/** What the runc driver notes once `runc start` succeeded: the pids it may probe cheaply. */
export interface MonitorRecord {
  readonly conmonPid?: number;
  readonly conmonStartTicks?: number;
  readonly pid: number;
  readonly pidStartTicks?: number;
  readonly startedAt: string;
}

export function isMonitorRecord(value: unknown): value is MonitorRecord {
  return (
    isRecord(value) &&
    typeof value['pid'] === 'number' &&
    typeof value['startedAt'] === 'string' &&
    isOptional(value['conmonPid'], 'number') &&
    isOptional(value['conmonStartTicks'], 'number') &&
    isOptional(value['pidStartTicks'], 'number')
  );
}

export interface ShimRecord {
  readonly shimPid: number;
  /** With shimPid, identifies the shim process (see process-probe.ts). */
  readonly shimStartTicks?: number;
  /** Host pid of the container's init (runc) or of the process (process driver), once known. */
  readonly pid?: number;
  readonly pidStartTicks?: number;
  readonly startedAt?: string;
}

export interface ExitRecord {
  /** Exit status, 128 + n for death by signal n; undefined when it could not be learned. */
  readonly exitCode?: number;
  readonly finishedAt: string;
  readonly oomKilled: boolean;
  /** Set when the container process never ran (runc create failed, command not found …). */
  readonly startError?: string;
}

export const FILE = {
  record: 'container.json',
  request: 'shim-request.json',
  shim: 'shim.json',
  exit: 'exit.json',
  log: 'container.log',
  shimLog: 'shim.log',
  runcLog: 'runc.log',
  pidFile: 'container.pid',
  bundle: 'bundle',
  rootfs: 'rootfs',
  upper: 'upper',
  work: 'work',
  emptyLower: 'empty-lower',
  conmonPid: 'conmon.pid',
  conmonLog: 'conmon.log',
  exitDir: 'exit',
  persistDir: 'persist',
  monitor: 'monitor.json',
} as const;

/** `<stateDir>/containers`: one subdirectory per container. */
export function containersRoot(stateDir: string): string {
  return path.join(path.resolve(stateDir), 'containers');
}

export function containerDir(stateDir: string, id: string): string {
  return path.join(containersRoot(stateDir), id);
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, durable: false });
}

/** The parsed file if it exists and has the expected shape; undefined otherwise. */
export async function readJsonFile<T>(file: string, guard: (value: unknown) => value is T): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return guard(value) ? value : undefined;
}

// Shape checks: these files outlive the process that wrote them (and perhaps
// its version), so they are checked rather than trusted. The shim imports this
// file, so it takes isRecord from @skiff/api's json-guards entry point alone:
// the package's face would load gRPC, the proto and the schemas into every shim.

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isOptional(value: unknown, type: 'number' | 'string'): boolean {
  return value === undefined || typeof value === type;
}

export function isContainerRecord(value: unknown): value is ContainerRecord {
  return (
    isRecord(value) &&
    typeof value['id'] === 'string' &&
    (value['driver'] === 'runc' || value['driver'] === 'process') &&
    isStringRecord(value['labels']) &&
    typeof value['logPath'] === 'string' &&
    typeof value['createdAt'] === 'string' &&
    isOptional(value['cgroupParent'], 'string')
  );
}

export function isShimRequest(value: unknown): value is ShimRequest {
  if (!isRecord(value) || typeof value['id'] !== 'string' || typeof value['logPath'] !== 'string') return false;
  if (value['kind'] === 'process') {
    const argv = value['argv'];
    return (
      Array.isArray(argv) &&
      argv.length > 0 &&
      argv.every((a) => typeof a === 'string') &&
      isStringRecord(value['env']) &&
      typeof value['cwd'] === 'string'
    );
  }
  return false;
}

export function isShimRecord(value: unknown): value is ShimRecord {
  return (
    isRecord(value) &&
    typeof value['shimPid'] === 'number' &&
    isOptional(value['shimStartTicks'], 'number') &&
    isOptional(value['pid'], 'number') &&
    isOptional(value['pidStartTicks'], 'number') &&
    isOptional(value['startedAt'], 'string')
  );
}

export function isExitRecord(value: unknown): value is ExitRecord {
  return (
    isRecord(value) &&
    isOptional(value['exitCode'], 'number') &&
    typeof value['finishedAt'] === 'string' &&
    typeof value['oomKilled'] === 'boolean' &&
    isOptional(value['startError'], 'string')
  );
}

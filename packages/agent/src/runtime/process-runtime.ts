// The process driver: containers are plain host processes (for development and
// non-root hosts). Each runs in its own session and process group, with its
// output in the log file, supervised by a shim (container-shim.ts) so
// exit codes are recorded and a restarted agent adopts running processes.
//
// No isolation at all: `limits` are ignored (no cgroups: nothing enforces
// them, and oomKilled is always false), `layers`, `netnsPath` and `hostname`
// are ignored, and the process runs as the agent's user on the host's
// filesystem and network.

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '@skiff/api/core';
import { FILE, isShimRequest, readJsonFile, type ProcessShimRequest } from './container-files.js';
import { isValidContainerId } from './container-id.js';
import { defaultShimMainPath, type ContainerFiles } from './container-store.js';
import { DEFAULT_PATH } from './oci-spec.js';
import { isProcessAlive, sendSignal } from './process-probe.js';
import { startExecSession } from './exec-session.js';
import { SupervisedRuntime, type Liveness } from './supervised-runtime.js';
import type { ContainerSpec, ExecOptions, ExecSession } from './runtime.js';

export interface ProcessRuntimeOptions {
  /** Where container records and logs live; survives agent restarts. */
  readonly stateDir: string;
  /** The compiled shim entry; default: dist/runtime/shim-main.js of this package. */
  readonly shimMainPath?: string;
  /** How long start() waits for the process to run; default 30 s. */
  readonly startTimeoutMs?: number;
}

export class ProcessRuntime extends SupervisedRuntime {
  readonly name = 'process' as const;

  constructor(options: ProcessRuntimeOptions) {
    super({
      stateDir: options.stateDir,
      shimMainPath: options.shimMainPath ?? defaultShimMainPath(),
      ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    });
  }

  protected async prepare(spec: ContainerSpec, dir: string, logPath: string): Promise<ProcessShimRequest> {
    // The spec's environment only, not the agent's (which may hold secrets);
    // PATH from the host so argv[0] resolves as it would in a shell.
    const env: Record<string, string> = { ...spec.env };
    if (!Object.hasOwn(env, 'PATH')) env['PATH'] = process.env['PATH'] ?? DEFAULT_PATH;
    let cwd = dir;
    if (spec.workingDir !== undefined) {
      // Checked here because a missing cwd makes spawn report ENOENT for the
      // command itself, which would mislead.
      const info = await stat(spec.workingDir).catch(() => undefined);
      if (!info?.isDirectory()) throw new Error(`container ${spec.id}: workingDir ${spec.workingDir} is not a directory`);
      cwd = spec.workingDir;
    }
    return { kind: 'process', id: spec.id, argv: [...spec.argv], env, cwd, logPath };
  }

  /** ctl exec: the command as another host process with the container's environment and working directory. */
  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const name = options.containerName ?? `container ${id}`;
    const state = isValidContainerId(id) ? await this.state(id) : undefined;
    const request = state && (await readJsonFile(this.store.file(id, FILE.request), isShimRequest));
    if (!state || !request) throw new NotFoundError(`${name} not found on this node`);
    if (state.status !== 'running') throw new FailedPreconditionError(`${name} is not running`);
    const executable = options.command[0] ?? '';
    const file = await findExecutable(executable, request.env['PATH'] ?? DEFAULT_PATH, request.cwd);
    if (file === undefined) throw new NotFoundError(`cannot exec ${JSON.stringify(executable)} in ${name}: executable file not found in $PATH`);
    return startExecSession({ file, args: options.command.slice(1), env: request.env, cwd: request.cwd }, options);
  }

  protected async probe(files: ContainerFiles): Promise<Liveness> {
    const pid = files.shim?.pid;
    // Without its start time a pid cannot be told apart from a reused one.
    if (pid === undefined || files.shim?.pidStartTicks === undefined) return { kind: 'stopped' };
    return (await isProcessAlive(pid, files.shim.pidStartTicks)) ? { kind: 'running', pid } : { kind: 'stopped' };
  }

  protected async signal(files: ContainerFiles, signal: NodeJS.Signals): Promise<void> {
    const live = await this.probe(files);
    if (live.kind !== 'running' || live.pid === undefined) return;
    // The whole process group, as a container's signal reaches all of it in effect.
    sendSignal(-live.pid, signal);
  }

  protected async cleanup(): Promise<void> {
    // Nothing outside the container's directory: no mounts, no cgroups.
  }
}

/**
 * Where a shell would find `name` with this PATH. Hand-written (a few lines)
 * because the lookup must use the container's PATH and working directory, not
 * the agent's; spawn would otherwise fail later, with a less clear error (a
 * terminal's child only exits 1).
 */
async function findExecutable(name: string, searchPath: string, cwd: string): Promise<string | undefined> {
  const candidates = name.includes('/') ? [path.resolve(cwd, name)] : searchPath.split(':').map((dir) => path.resolve(cwd, dir || '.', name));
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile() && (await access(candidate, constants.X_OK).then(() => true, () => false))) return candidate;
  }
  return undefined;
}

// Waiting for conmon's `runc create` to finish: runc writes the container's
// pid file (by rename, in the container's directory) once the container
// exists. Polling for it every 10 ms cost six file reads a poll for each of
// the starts in flight, on the agent's one thread; an inotify watch on the
// directory (fs.watch) wakes the wait when a file there changes instead. The
// slower checks (did conmon or runc fail?) run every FAILURE_CHECK_MS, and a
// wake-up at least that often covers a watch that cannot be set up.

import { watch, type FSWatcher } from 'node:fs';
import { posix as path } from 'node:path';
import { conmonLogTail, lastRuncError, readConmonExit, readPidFile } from './conmon.js';
import { FILE } from './container-files.js';
import { isProcessAlive } from './process-probe.js';
import { ContainerStartError } from './start-error.js';

const FAILURE_CHECK_MS = 100;

/** Resolves with the container's init pid once created; a ContainerStartError if conmon or runc failed, or after timeoutMs. */
export async function waitCreated(id: string, dir: string, timeoutMs: number): Promise<{ pid: number }> {
  const changes = new DirectoryChanges(dir);
  try {
    const deadline = Date.now() + timeoutMs;
    let nextFailureCheck = Date.now() + FAILURE_CHECK_MS;
    // conmon's pid, read until its file is there (conmon writes it once, and it stays the same).
    let conmon: { pid: number } | undefined;
    for (;;) {
      const created = await readPidFile(path.join(dir, FILE.pidFile));
      if (created !== undefined) return created;
      if (Date.now() >= nextFailureCheck) {
        conmon ??= await readPidFile(path.join(dir, FILE.conmonPid));
        await throwIfFailed(id, dir, conmon);
        nextFailureCheck = Date.now() + FAILURE_CHECK_MS;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await changes.next(Math.min(remaining, Math.max(1, nextFailureCheck - Date.now())));
    }
    // The deadline passed: one last look, so a failure says why rather than "not created".
    await throwIfFailed(id, dir, conmon ?? (await readPidFile(path.join(dir, FILE.conmonPid))));
    throw new ContainerStartError(id, `not created after ${timeoutMs} ms`);
  } finally {
    changes.close();
  }
}

/** conmon recorded an exit, or died: runc create failed, and runc's log (or conmon's) says why. */
async function throwIfFailed(id: string, dir: string, conmon: { pid: number } | undefined): Promise<void> {
  const exit = await readConmonExit(dir, id);
  if (exit !== undefined || (conmon !== undefined && !(await isProcessAlive(conmon.pid)))) {
    // The pid file may have landed just before conmon ended (a container that exits at once).
    if ((await readPidFile(path.join(dir, FILE.pidFile))) !== undefined) return;
    const reason = (await lastRuncError(path.join(dir, FILE.runcLog))) ?? `conmon ended: ${await conmonLogTail(dir)}`;
    throw new ContainerStartError(id, reason);
  }
}

/** Changes to the entries of one directory, as wake-ups; without a watch (e.g. out of inotify watches) only the timeout wakes. */
class DirectoryChanges {
  private changed = false;
  private wake: (() => void) | undefined;
  private readonly watcher: FSWatcher | undefined;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => {
        this.changed = true;
        this.wake?.();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
  }

  /** Resolves at the next change (or at once if one came since the last call), or after `ms`. */
  next(ms: number): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  close(): void {
    this.wake?.();
    this.watcher?.close();
  }
}

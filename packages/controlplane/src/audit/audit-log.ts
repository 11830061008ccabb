// The audit log: one JSON line per mutating request, written by the front
// door once the call has been answered:
//   {"ts":"2026-12-01T10:15:00.123Z","user":"admin","groups":["system:masters","system:authenticated"],
//    "verb":"delete","resource":"deployments","namespace":"shop","name":"web","code":"OK","latencyMs":4.2,"method":"Delete"}
// Who, what, on which object, the outcome and how long it took; never a
// request or response body, so no Secret value can reach the file. The file
// is the owner's only (0600) and rotates by size, logrotate style: PATH, then
// PATH.1 (the newest) … PATH.N, the oldest beyond N being dropped.
import { chmod, mkdir } from 'node:fs/promises';
import { basename, dirname, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import type { status } from '@grpc/grpc-js';
import { InvalidError } from '@skiff/api';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

/** A gRPC status by name, as the log spells outcomes: "OK", "PERMISSION_DENIED"… */
export type GrpcStatusName = keyof typeof status;

export interface AuditEntry {
  readonly user: string;
  readonly groups: readonly string[];
  /** get/list/watch/create/update/patch/delete/deletecollection; only mutating ones belong in the log. */
  readonly verb: string;
  /** The resource's plural, e.g. "deployments". */
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly code: GrpcStatusName;
  readonly latencyMs: number;
  /** The gRPC method, e.g. "/skiff.v1.Api/Apply". */
  readonly method: string;
}

/** The verbs whose requests the log records: those that change something. */
export const AUDITED_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export const AUDIT_LOG_DEFAULT_MAX_SIZE = '100M';
export const AUDIT_LOG_DEFAULT_MAX_FILES = 10;

export interface AuditLogOptions {
  /** The file written to (`--audit-log`); rotated files sit beside it as PATH.1 … PATH.N. */
  readonly path: string;
  /** Rotate when the file reaches this size: a whole number and B, K, M or G (`--audit-log-max-size`, default 100M). */
  readonly maxSize?: string;
  /** Rotated files kept beside the current one (`--audit-log-max-files`, default 10). */
  readonly maxFiles?: number;
  readonly now?: () => Date;
  /** Called once if the file cannot be written any more; records after that are dropped. */
  readonly onError?: (error: Error) => void;
}

const SIZE = /^[1-9]\d{0,5}[BKMG]$/;

export class AuditLog {
  private failed = false;
  private closing?: Promise<void>;

  private constructor(
    private readonly stream: RotatingFileStream | undefined,
    private readonly now: () => Date,
  ) {}

  /** Records nothing: for a control plane started without --audit-log. */
  static disabled(): AuditLog {
    return new AuditLog(undefined, () => new Date());
  }

  /** Opens (or creates, 0600) the file, its directory too (0700); throws InvalidError on a bad size or count. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const maxSize = options.maxSize ?? AUDIT_LOG_DEFAULT_MAX_SIZE;
    const maxFiles = options.maxFiles ?? AUDIT_LOG_DEFAULT_MAX_FILES;
    if (!SIZE.test(maxSize)) {
      throw new InvalidError(`--audit-log-max-size: must be a size like 100M (a whole number and B, K, M or G), not ${JSON.stringify(maxSize)}`);
    }
    if (!Number.isInteger(maxFiles) || maxFiles < 1 || maxFiles > 1000) {
      throw new InvalidError(`--audit-log-max-files: must be a whole number of rotated files to keep, 1 to 1000, not ${maxFiles}`);
    }
    await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
    // The mode below applies to a new file only: tighten one left by an earlier run.
    await chmod(options.path, 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    const stream = createStream(basename(options.path), {
      path: `${dirname(options.path)}${sep}`,
      size: maxSize,
      rotate: maxFiles,
      mode: 0o600,
    });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    const log = new AuditLog(stream, options.now ?? (() => new Date()));
    stream.on('error', (error) => {
      if (log.failed) return;
      log.failed = true;
      options.onError?.(error);
    });
    return log;
  }

  get enabled(): boolean {
    return this.stream !== undefined;
  }

  /** Appends one line. Only the fields of AuditEntry are written, whatever else `entry` carries. */
  record(entry: AuditEntry): void {
    if (!this.stream || this.failed || this.closing) return;
    const line = {
      ts: this.now().toISOString(),
      user: entry.user,
      groups: [...entry.groups],
      verb: entry.verb,
      resource: entry.resource,
      ...(entry.subresource !== undefined ? { subresource: entry.subresource } : {}),
      ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
      ...(entry.name !== undefined ? { name: entry.name } : {}),
      code: entry.code,
      latencyMs: Math.round(entry.latencyMs * 1000) / 1000,
      method: entry.method,
    };
    this.stream.write(`${JSON.stringify(line)}\n`);
  }

  /** Writes out every line recorded so far and closes the file. */
  close(): Promise<void> {
    const { stream } = this;
    if (!stream) return Promise.resolve();
    this.closing ??= (async () => {
      stream.end();
      await finished(stream).catch((error: unknown) => {
        if (!this.failed) throw error; // already reported through onError
      });
    })();
    return this.closing;
  }
}

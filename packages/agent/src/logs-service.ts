// The agent's Logs service: a container's log (the current one, or with
// `previous` the last terminated one of that name), optionally only its last
// lines or those of the last N seconds, with or without timestamps, optionally
// followed until the container exits or the caller leaves. CRI-format logs
// (the runc driver's, see runtime/cri-log.ts) are printed as kubectl does:
// the text alone, partial records joined, `--timestamps` putting the
// RFC3339Nano time first. Raw logs (the process driver's) carry no times, so
// `since_seconds` and `timestamps` do not apply to them.
import { open, stat } from 'node:fs/promises';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { messageOf, NotFoundError, SkiffError, type AgentHandlers, type LogChunkMessage, type LogsRequestMessage } from '@skiff/api/core';
import { attemptOf, LABEL } from './container-labels.js';
import { criTimestampMs, joinRecords, type LogLine, type LogStream } from './runtime/cri-log.js';
import type { ContainerState, Runtime } from './runtime/runtime.js';

const FOLLOW_POLL_MS = 200;

export function createLogsHandlers(runtime: Runtime, now: () => number = Date.now): Pick<AgentHandlers, 'Logs'> {
  return { Logs: (call) => void serveLogs(runtime, call, now) };
}

async function serveLogs(runtime: Runtime, call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>, now: () => number): Promise<void> {
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  try {
    const request = call.request;
    const container = await findContainer(runtime, request);
    const cri = container.logFormat === 'cri';
    const reader = new LogReader(container.logPath, cri ? criFormatter(request, now()) : rawFormatter());
    const first = await reader.readNew();
    if (!request.follow) first.push(...reader.flush(!cri));
    const initial = request.tail_lines > 0 ? first.slice(-request.tail_lines) : first;
    if (initial.length > 0) call.write({ data: Buffer.from(initial.join('')) });
    while (request.follow && !cancelled) {
      const state = await runtime.state(container.id);
      const more = await reader.readNew();
      if (more.length > 0) call.write({ data: Buffer.from(more.join('')) });
      if (!state || state.status !== 'running') {
        const rest = reader.flush(!cri);
        if (rest.length > 0) call.write({ data: Buffer.from(rest.join('')) });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
    call.end();
  } catch (error) {
    const code = error instanceof SkiffError ? error.code : status.INTERNAL;
    const message = messageOf(error);
    // emit, not destroy: a destroyed stream never sends its status.
    call.emit('error', Object.assign(new Error(message), { code, details: message }));
  }
}

async function findContainer(runtime: Runtime, request: LogsRequestMessage): Promise<ContainerState> {
  const matches = (await runtime.list())
    .filter(
      (s) =>
        s.labels[LABEL.podNamespace] === request.namespace &&
        s.labels[LABEL.podName] === request.pod &&
        s.labels[LABEL.container] === request.container,
    )
    .sort((a, b) => attemptOf(b) - attemptOf(a));
  const where = `container ${request.container} of pod ${request.namespace}/${request.pod}`;
  if (request.previous) {
    // The attempt before the current one: the agent keeps it (as lastState) until the next restart.
    const previous = matches.slice(1).find((s) => s.status === 'exited');
    if (!previous) throw new NotFoundError(`previous terminated ${where} not found`);
    return previous;
  }
  const newest = matches[0];
  if (!newest) throw new NotFoundError(`${where} has not started on this node`);
  return newest;
}

/** Turns complete lines of the file into what is sent; keeps what belongs to a line not yet complete. */
interface Formatter {
  format(rawLines: readonly string[]): string[];
}

function rawFormatter(): Formatter {
  return { format: (rawLines) => rawLines.map((line) => `${line}\n`) };
}

function criFormatter(request: LogsRequestMessage, nowMs: number): Formatter {
  const sinceMs = request.since_seconds > 0 ? nowMs - request.since_seconds * 1000 : undefined;
  let pending = new Map<LogStream, LogLine>();
  return {
    format(rawLines) {
      const joined = joinRecords(rawLines, pending);
      pending = joined.pending;
      return joined.lines
        .filter((line) => sinceMs === undefined || criTimestampMs(line.timestamp) >= sinceMs)
        .map((line) => (request.timestamps ? `${kubernetesTimestamp(line.timestamp)} ${line.text}\n` : `${line.text}\n`));
    },
  };
}

/** conmon writes UTC as "+00:00"; kubelet and kubectl print it as "Z". */
function kubernetesTimestamp(timestamp: string): string {
  return timestamp.replace(/\+00:00$/, 'Z');
}

/**
 * Reads a log file in complete lines from where it left off. A file that
 * became smaller, or another file at the path (the runtime rotated it), is
 * read from its start.
 */
class LogReader {
  private offset = 0;
  private inode: number | undefined;
  private carry = '';

  constructor(
    private readonly path: string,
    private readonly formatter: Formatter,
  ) {}

  async readNew(): Promise<string[]> {
    const info = await stat(this.path).catch(() => undefined);
    if (!info) return [];
    if (this.inode !== undefined && (info.ino !== this.inode || info.size < this.offset)) {
      this.offset = 0;
      this.carry = '';
    }
    this.inode = info.ino;
    const file = await open(this.path, 'r').catch(() => undefined);
    if (!file) return [];
    try {
      const { size } = await file.stat();
      if (size <= this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      return this.take(buffer.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
  }

  /** A last line without its newline, as written (raw logs only: a CRI record is always a whole line). */
  flush(raw: boolean): string[] {
    const rest = this.carry;
    this.carry = '';
    return raw && rest !== '' ? [rest] : [];
  }

  private take(data: Buffer): string[] {
    const text = this.carry + data.toString('utf8');
    const end = text.lastIndexOf('\n');
    this.carry = end < 0 ? text : text.slice(end + 1);
    return end < 0 ? [] : this.formatter.format(text.slice(0, end).split('\n'));
  }
}

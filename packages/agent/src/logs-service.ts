// The agent's Logs service: a container's log file, optionally only its last
// lines, optionally followed until the container exits or the caller leaves.
import { open, readFile } from 'node:fs/promises';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { messageOf, NotFoundError, SkiffError, type AgentHandlers, type LogChunkMessage, type LogsRequestMessage } from '@skiff/api';
import { attemptOf, LABEL } from './container-labels.js';
import type { ContainerState, Runtime } from './runtime/runtime.js';

const FOLLOW_POLL_MS = 200;

export function createLogsHandlers(runtime: Runtime): AgentHandlers {
  return { Logs: (call) => void serveLogs(runtime, call) };
}

async function serveLogs(runtime: Runtime, call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>): Promise<void> {
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  try {
    const request = call.request;
    const container = await findContainer(runtime, request);
    const text = await readFile(container.logPath).catch(() => Buffer.alloc(0));
    let offset = text.length;
    const first = request.tail_lines > 0 ? lastLines(text, request.tail_lines) : text;
    if (first.length > 0) call.write({ data: first });
    while (request.follow && !cancelled) {
      const state = await runtime.state(container.id);
      offset += await copyNew(container.logPath, offset, (data) => call.write({ data }));
      if (!state || state.status !== 'running') break;
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
  const matches = (await runtime.list()).filter(
    (s) =>
      s.labels[LABEL.podNamespace] === request.namespace &&
      s.labels[LABEL.podName] === request.pod &&
      s.labels[LABEL.container] === request.container,
  );
  const newest = matches.sort((a, b) => attemptOf(b) - attemptOf(a))[0];
  if (!newest) {
    throw new NotFoundError(`container ${request.container} of pod ${request.namespace}/${request.pod} has not started on this node`);
  }
  return newest;
}

async function copyNew(path: string, offset: number, write: (data: Buffer) => void): Promise<number> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return 0;
  try {
    const { size } = await file.stat();
    if (size <= offset) return 0;
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
    if (bytesRead > 0) write(buffer.subarray(0, bytesRead));
    return bytesRead;
  } finally {
    await file.close();
  }
}

function lastLines(text: Buffer, count: number): Buffer {
  let position = text.length;
  if (position > 0 && text[position - 1] === 0x0a) position--; // a trailing newline ends the last line
  for (let seen = 0; position > 0; position--) {
    if (text[position - 1] === 0x0a && ++seen === count) break;
  }
  return text.subarray(position);
}

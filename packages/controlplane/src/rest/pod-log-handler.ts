// GET /api/v1/namespaces/NS/pods/NAME/log: kubectl logs. Authorized as `get`
// on `pods/log` (before this is called), the pod and container resolved as
// for ctl logs (api/pod-log-target.ts), then the agent's stream relayed as
// plain text, chunked. Errors before the first byte are a Status; after it the
// response just ends (as kube-apiserver does). The query parameters are
// kube-apiserver's PodLogOptions: container, follow, tailLines, sinceSeconds,
// timestamps, previous.
import type { ServerResponse } from 'node:http';
import { status, type ServiceError } from '@grpc/grpc-js';
import { InvalidError, type LogChunkMessageOutput, type LogsRequestMessage } from '@skiff/api';
import { logTarget, type PodAgentOf } from '../api/pod-log-target.js';
import type { ObjectStore } from '../objects/object-store.js';

export interface PodLogContext {
  readonly objects: ObjectStore;
  readonly agentOf: PodAgentOf;
  /** Registers a way to end the stream when the server stops; returns its removal. */
  readonly track: (end: () => void) => () => void;
}

/** PodLogOptions from the query string; bad numbers and booleans are 400s naming the parameter. */
export function logOptionsOf(namespace: string, pod: string, query: URLSearchParams): LogsRequestMessage {
  return {
    namespace,
    pod,
    container: query.get('container') ?? '',
    follow: booleanParam(query, 'follow'),
    tail_lines: numberParam(query, 'tailLines'),
    timestamps: booleanParam(query, 'timestamps'),
    since_seconds: numberParam(query, 'sinceSeconds'),
    previous: booleanParam(query, 'previous'),
  };
}

function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new InvalidError(`${name}=${value}: expected true or false`);
}

/** 0 when absent (the agent's "all"); a positive whole number otherwise. */
function numberParam(query: URLSearchParams, name: string): number {
  const value = query.get(name);
  if (value === null || value === '') return 0;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidError(`${name}=${value}: expected a whole number of at least 0`);
  return parsed;
}

/** Resolves once the stream is over; rejects (for the caller to answer as a Status) only before anything was sent. */
export async function servePodLog(context: PodLogContext, options: LogsRequestMessage, response: ServerResponse): Promise<void> {
  const { client, request: upstreamRequest } = await logTarget(context.objects, context.agentOf, options);
  const upstream = client.Logs(upstreamRequest);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (): void => {
      settled = true;
      forget();
      resolve();
    };
    const startBody = (): void => {
      if (!response.headersSent) response.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    };
    const forget = context.track(() => {
      upstream.cancel();
      if (!response.headersSent) startBody();
      response.end();
    });
    response.once('close', () => upstream.cancel());
    upstream.on('data', (chunk: LogChunkMessageOutput) => {
      startBody();
      if (!response.write(chunk.data)) {
        upstream.pause();
        response.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => {
      startBody();
      response.end();
      settle();
    });
    upstream.on('error', (error: ServiceError) => {
      if (settled) return;
      if (error.code === status.CANCELLED || response.headersSent) {
        response.end();
        settle();
        return;
      }
      settled = true;
      forget();
      reject(error);
    });
  });
}

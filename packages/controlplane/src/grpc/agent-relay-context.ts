// What a call relayed to an agent (logs-proxy.ts, exec-proxy.ts) is given by
// the AgentProxy: the front door's parts, and the way to a pod's agent.
import type { AgentClient, Pod } from '@skiff/api';
import type { Logger } from 'pino';
import type { ObjectStore } from '../objects/object-store.js';
import type { ApiMetrics } from './api-metrics.js';
import type { RequestGuard } from './request-guard.js';
import type { OpenStreams } from './watch-stream.js';

export interface AgentRelayContext {
  readonly objects: ObjectStore;
  readonly metrics: ApiMetrics;
  readonly log: Logger;
  readonly streams: OpenStreams;
  readonly guard: RequestGuard;
  /** The agent of the node a pod is bound to; `purpose` words the refusals ("no logs exist", "cannot exec"). */
  agentOf(pod: Pod, purpose: string): Promise<AgentClient>;
}


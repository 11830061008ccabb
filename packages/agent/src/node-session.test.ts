// The node session against a fake NodeApi client: the agent's own conditions
// (MemoryPressure) ride on registrations, and a failed report is retried with the next heartbeat.
import type { Node, NodeApiClient } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSession } from './node-session.js';

const NODE: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {}, status: { capacity: { cpu: '1', memory: '1Gi' } } };
const pressure = (status: 'True' | 'False') => ({ type: 'MemoryPressure', status, reason: 'r', message: 'm', lastTransitionTime: '2026-01-01T00:00:00.000Z' }) as const;

class FakeNodeApi {
  registered: Node[] = [];
  heartbeats = 0;
  failRegistrations = 0;
  /** What heartbeats answer as the interval (0: the field unset, as an older control plane answers). */
  answerIntervalMs = 0;
  readonly client = {
    RegisterNode: (request: { node_json: string }, _options: unknown, callback: (error: Error | null, value?: unknown) => void) => {
      if (this.failRegistrations > 0) {
        this.failRegistrations -= 1;
        callback(Object.assign(new Error('unavailable'), { code: 14 }));
        return;
      }
      const node = JSON.parse(request.node_json) as Node;
      this.registered.push(node);
      callback(null, { node_json: JSON.stringify(node), heartbeat_interval_ms: 5, pod_network: '10.244.0.0/16' });
    },
    Heartbeat: (_request: unknown, _options: unknown, callback: (error: Error | null, value?: unknown) => void) => {
      this.heartbeats += 1;
      callback(null, this.answerIntervalMs ? { heartbeat_interval_ms: this.answerIntervalMs, lease_duration_ms: this.answerIntervalMs * 3 } : {});
    },
  } as unknown as NodeApiClient;
}

const sessions: NodeSession[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.stop()));

describe('NodeSession: conditions the agent judges', () => {
  it('a condition set before the first registration goes with it; a change registers again', async () => {
    const api = new FakeNodeApi();
    const session = new NodeSession({ client: () => api.client, node: NODE, log: pino({ level: 'silent' }) });
    sessions.push(session);
    await session.setCondition(pressure('False'));
    expect(api.registered).toEqual([]);
    await session.start();
    expect(api.registered[0]?.status?.conditions).toEqual([pressure('False')]);
    await session.setCondition(pressure('True'));
    expect(api.registered).toHaveLength(2);
    expect(api.registered[1]?.status?.conditions).toEqual([pressure('True')]);
    expect(api.registered[1]?.status?.capacity).toEqual(NODE.status?.capacity);
  });

  it('a report that failed is registered again after the next heartbeat', async () => {
    const api = new FakeNodeApi();
    const session = new NodeSession({ client: () => api.client, node: NODE, log: pino({ level: 'silent' }) });
    sessions.push(session);
    await session.start();
    api.failRegistrations = 1;
    await session.setCondition(pressure('True'));
    expect(api.registered).toHaveLength(1);
    await waitFor(() => api.registered.length === 2, { timeoutMs: 5_000, intervalMs: 5, description: 'the retried registration' });
    expect(api.heartbeats).toBeGreaterThan(0);
    expect(api.registered[1]?.status?.conditions).toEqual([pressure('True')]);
  });

  it('heartbeats at the interval the control plane answers with (it grows with the fleet); an unset one keeps the last', async () => {
    const api = new FakeNodeApi();
    const session = new NodeSession({ client: () => api.client, node: NODE, log: pino({ level: 'silent' }) });
    sessions.push(session);
    await session.start();
    expect(session.heartbeatIntervalMs).toBe(5);
    await waitFor(() => api.heartbeats >= 2, { timeoutMs: 5_000, intervalMs: 5, description: 'heartbeats at the registered interval' });
    api.answerIntervalMs = 7;
    await waitFor(() => session.heartbeatIntervalMs === 7, { timeoutMs: 5_000, intervalMs: 5, description: 'the answered interval adopted' });
    api.answerIntervalMs = 0;
    const beats = api.heartbeats;
    await waitFor(() => api.heartbeats >= beats + 2, { timeoutMs: 5_000, intervalMs: 5, description: 'heartbeats answered without an interval' });
    expect(session.heartbeatIntervalMs).toBe(7);
  });
});

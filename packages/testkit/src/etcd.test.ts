import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startEtcd } from './etcd.js';

// etcd 3.4 serves a JSON gateway next to gRPC; keys and values are base64.
async function etcdJson(endpoint: string, path: string, body: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.ok).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}
const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('startEtcd', () => {
  it('starts a healthy etcd, keeps its data across restart(), and cleans up on stop()', async () => {
    const etcd = await startEtcd();
    try {
      expect(etcd.endpoint).toBe(`http://127.0.0.1:${etcd.clientPort}`);
      expect(existsSync(etcd.dataDir)).toBe(true);
      await etcdJson(etcd.endpoint, '/v3/kv/put', { key: b64('/k'), value: b64('kept') });

      const firstPid = etcd.process.pid;
      await etcd.restart();
      expect(etcd.process.pid).not.toBe(firstPid);
      const read = await etcdJson(etcd.endpoint, '/v3/kv/range', { key: b64('/k') });
      const kvs = read['kvs'] as Array<{ value: string }>;
      expect(Buffer.from(kvs[0]!.value, 'base64').toString()).toBe('kept');
    } finally {
      await etcd.stop();
    }
    expect(etcd.process.running).toBe(false);
    expect(existsSync(etcd.dataDir)).toBe(false);
    await etcd.stop(); // idempotent
  });
});

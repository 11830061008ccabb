// What only EtcdStore has: its behaviour while etcd is away (fault policy,
// reconnecting watches). The Store contract it shares with MemoryStore is in
// store-contract.test.ts.
import { randomUUID } from 'node:crypto';
import { GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { InvalidError, UnavailableError } from '@skiff/api';
import { freePort, startEtcd, waitFor } from '@skiff/testkit';
import { EtcdStore } from './etcd-store.js';
import type { StoreEvent } from './store.js';

describe('EtcdStore when etcd is away', () => {
  it('needs an endpoint', () => {
    expect(() => new EtcdStore({ endpoints: [] })).toThrow(InvalidError);
  });

  it('fails with UnavailableError naming the endpoint when nothing listens, without waiting for the deadline', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const absent = new EtcdStore({ endpoints: [endpoint] });
    try {
      const ping = absent.ping(30_000);
      await expect(ping).rejects.toBeInstanceOf(UnavailableError);
      await expect(ping).rejects.toThrow(endpoint);
      // The refused connection ended it (the fault policy does not wait), not a deadline.
      await expect(ping).rejects.toMatchObject({ cause: expect.any(GRPCUnavailableError) });

      const get = absent.get('/anything');
      await expect(get).rejects.toBeInstanceOf(UnavailableError);
      await expect(get).rejects.toHaveProperty('cause');
      await expect(EtcdStore.connect({ endpoints: [endpoint], dialTimeoutMs: 1000 })).rejects.toBeInstanceOf(
        UnavailableError,
      );
    } finally {
      await absent.close();
    }
  });

  it('fails over to a live endpoint when another refuses connections, for reads and writes', async () => {
    const etcd = await startEtcd();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const store = await EtcdStore.connect({ endpoints: [dead, etcd.endpoint] });
    try {
      const prefix = `/test/failover-${randomUUID()}/`;
      // etcd3 shuffles the endpoints per call: about half of these try the dead one first.
      for (let i = 0; i < 20; i++) {
        const revision = await store.create(`${prefix}${i}`, `${i}`);
        expect(await store.get(`${prefix}${i}`)).toMatchObject({ value: `${i}`, modRevision: revision });
      }
      expect((await store.list(prefix)).items).toHaveLength(20);
    } finally {
      await store.close();
      await etcd.stop();
    }
  });

  it('fails ping while etcd is stopped and keeps a watch exactly-once across the restart', async () => {
    const etcd = await startEtcd();
    const watching = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    try {
      const prefix = `/test/restart-${randomUUID()}/`;
      const { revision } = await watching.list(prefix);
      const seen: string[] = [];
      const failures: Error[] = [];
      const watch = watching.watch(prefix, revision, {
        onEvent: (event: StoreEvent) => seen.push(event.type === 'put' ? `${event.kv.key}@${event.kv.modRevision}` : event.key),
        onCompacted: (at) => failures.push(new Error(`compacted at ${at}`)),
        onError: (error) => failures.push(error),
      });
      const expected: string[] = [];
      const seenAll = async (description: string): Promise<void> => {
        await waitFor(() => seen.length >= expected.length || failures.length > 0, { timeoutMs: 10_000, description });
        expect(failures).toEqual([]);
        expect(seen).toEqual(expected);
      };
      for (let i = 0; i < 5; i++) {
        expected.push(`${prefix}before-${i}@${await watching.create(`${prefix}before-${i}`, `${i}`)}`);
      }
      await seenAll('events before the restart');

      await etcd.process.stop();
      // The broken connection ends it, not a deadline.
      const ping = watching.ping(30_000);
      await expect(ping).rejects.toBeInstanceOf(UnavailableError);
      await expect(ping).rejects.toMatchObject({ cause: expect.any(GRPCUnavailableError) });

      await etcd.restart();
      // A fresh client writes while the watcher's stream is still reconnecting.
      const writer = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
      try {
        for (let i = 0; i < 5; i++) {
          expected.push(`${prefix}after-${i}@${await writer.create(`${prefix}after-${i}`, `${i}`)}`);
        }
      } finally {
        await writer.close();
      }
      await seenAll('events after the restart');
      await waitFor(() => watching.ping(1000).then(() => true), { timeoutMs: 10_000, description: 'the old client to reconnect' });

      // One more write through the reconnected client: still exactly once.
      expected.push(`${prefix}last@${await watching.create(`${prefix}last`, 'z')}`);
      await seenAll('the event after reconnecting');
      await watch.close();
    } finally {
      await watching.close();
      await etcd.stop();
    }
  });
});

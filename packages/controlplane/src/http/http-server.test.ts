import { describe, expect, test } from 'vitest';
import { readiness } from './http-server.js';

describe('readiness', () => {
  test('every check passing: ok, then each check with its detail', async () => {
    const result = await readiness([
      { name: 'etcd', check: async () => undefined },
      { name: 'leadership', check: async () => 'standby (leader cp-2)' },
    ]);
    expect(result).toEqual({ ready: true, body: 'ok\n[+]etcd ok\n[+]leadership standby (leader cp-2)\n' });
  });

  test('a failing check: not ready with the first failure first, and every check listed', async () => {
    const result = await readiness([
      { name: 'leadership', check: async () => 'leader' },
      { name: 'etcd', check: async () => { throw new Error('etcd at 127.0.0.1:2379 did not answer within 1000 ms'); } },
      { name: 'etcd-alarms', check: async () => { throw new Error('NOSPACE on member 1'); } },
    ]);
    expect(result.ready).toBe(false);
    expect(result.body).toBe(
      'not ready: etcd: etcd at 127.0.0.1:2379 did not answer within 1000 ms\n' +
        '[+]leadership leader\n' +
        '[-]etcd failed: etcd at 127.0.0.1:2379 did not answer within 1000 ms\n' +
        '[-]etcd-alarms failed: NOSPACE on member 1\n',
    );
  });

  test('no checks: ready', async () => {
    expect(await readiness([])).toEqual({ ready: true, body: 'ok\n' });
  });
});

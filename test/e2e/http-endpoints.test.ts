// /healthz, /readyz and /metrics on the control plane's HTTP port, and what
// readiness says when etcd goes away and comes back.
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();

describe('control plane HTTP endpoints', () => {
  test('healthz and readyz answer ok', async () => {
    const { cluster } = fixture();
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`http://${cluster.httpAddress}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toMatch(path === '/readyz' ? /^ok\n\[\+\]etcd ok\n/ : /^ok\n$/);
    }
  });

  test('readyz says this control plane leads (a single one wins the election)', async () => {
    const { cluster } = fixture();
    const body = await waitFor(
      async () => {
        const text = await (await fetch(`http://${cluster.httpAddress}/readyz`)).text();
        return /\[\+\]leadership leader \(term \d+\)\n/.test(text) ? text : undefined;
      },
      { timeoutMs: 10_000, description: 'readyz to list the leadership check as leader' },
    );
    expect(body).toMatch(/^ok\n\[\+\]etcd ok\n\[\+\]etcd-alarms none\n\[\+\]leadership leader \(term \d+\)\n/);
  });

  test('metrics count requests per method and status, with latency histograms', async () => {
    const { cluster } = fixture();
    await cluster.ctl(['get', 'ns']);
    await cluster.ctl(['get', 'cm', 'missing']);
    const text = await (await fetch(`http://${cluster.httpAddress}/metrics`)).text();
    expect(text).toMatch(/skiff_api_requests_total\{method="List",code="OK"\} [1-9]/);
    expect(text).toMatch(/skiff_api_requests_total\{method="Get",code="NOT_FOUND"\} [1-9]/);
    expect(text).toMatch(/skiff_api_request_duration_seconds_bucket\{le="0.1",method="List"\} [1-9]/);
  });

  test('readyz reports etcd being down, and recovers when it returns', async () => {
    const { cluster } = fixture();
    await cluster.etcd.process.stop();
    try {
      const response = await fetch(`http://${cluster.httpAddress}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/^not ready: etcd: .*\n\[-\]etcd failed: /);
      expect((await fetch(`http://${cluster.httpAddress}/healthz`)).status).toBe(200);
    } finally {
      await cluster.etcd.restart();
    }
    await waitFor(async () => (await fetch(`http://${cluster.httpAddress}/readyz`)).status === 200, {
      timeoutMs: 20_000,
      description: 'readyz to recover after etcd restarted',
    });
    expect((await cluster.ctl(['get', 'ns'])).code).toBe(0);
  });
});

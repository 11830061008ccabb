import { waitFor } from '@skiff/testkit';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../credentials/test-logger.js';
import type { HostCommands } from './nft-applier.js';
import { ServiceProxy, type ProxySync } from './service-proxy.js';
import { TestCatalog, testService, testSlice } from './test-catalog.js';

/** Records what the proxy would run; `failNext` makes the next nft call fail. */
class RecordingHost {
  readonly transactions: string[] = [];
  readonly conntrack: string[][] = [];
  failNext = false;
  async nft(text: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('nft -f - exited with 1: Error: Could not process rule: No such file or directory');
    }
    this.transactions.push(text);
  }
  async nftCommand(): Promise<string> {
    return '';
  }
  async conntrackDelete(filter: readonly string[]): Promise<number> {
    this.conntrack.push([...filter]);
    return 0;
  }
  async ip(): Promise<string> {
    return '';
  }
}

function proxyWith(catalog: TestCatalog, host: RecordingHost, syncs: ProxySync[]): ServiceProxy {
  return new ServiceProxy({
    catalog,
    host: host as unknown as HostCommands,
    log: recordingLogger().log,
    minSyncMs: 50,
    retryBackoff: { initialMs: 10, maxMs: 10 },
    onSynced: (sync) => syncs.push(sync),
  });
}

describe('ServiceProxy', () => {
  it('programs nothing before the catalog has listed, then the whole table in one transaction', async () => {
    const catalog = new TestCatalog();
    catalog.synced = false;
    catalog.putService(testService('a', 'web', '10.96.0.10'));
    const host = new RecordingHost();
    const syncs: ProxySync[] = [];
    const proxy = proxyWith(catalog, host, syncs);
    proxy.start();
    catalog.synced = true;
    catalog.resync();
    await waitFor(() => host.transactions.length === 1, { timeoutMs: 5_000, description: 'host.transactions.length === 1' });
    // One transaction, made after the list: none was made while the catalog was incomplete.
    expect(host.transactions).toHaveLength(1);
    expect(host.transactions[0]).toContain('delete table ip skiff-proxy');
    expect(host.transactions[0]).toContain('add element ip skiff-proxy no-endpoint-services { 10.96.0.10 . tcp . 80 : goto reject-chain }');
    expect(syncs[0]?.full).toBe(true);
    await proxy.stop();
  });

  it('coalesces a burst into one partial transaction that touches only the changed Service', async () => {
    const catalog = new TestCatalog();
    catalog.putService(testService('a', 'web', '10.96.0.10'));
    catalog.putService(testService('a', 'db', '10.96.0.11'));
    const host = new RecordingHost();
    const syncs: ProxySync[] = [];
    const proxy = proxyWith(catalog, host, syncs);
    proxy.start();
    await waitFor(() => host.transactions.length === 1, { timeoutMs: 5_000, description: 'host.transactions.length === 1' });
    for (let n = 1; n <= 5; n += 1) catalog.putSlice(testSlice('a', 'web', Array.from({ length: n }, (_, i) => `10.244.1.${10 + i}`)));
    await waitFor(() => host.transactions.length === 2, { timeoutMs: 5_000, description: 'host.transactions.length === 2' });
    expect(host.transactions).toHaveLength(2);
    const partial = host.transactions[1] ?? '';
    expect(partial).not.toContain('delete table');
    expect(partial).not.toContain('db');
    expect(partial).toContain('numgen random mod 5');
    expect(syncs[1]).toMatchObject({ full: false, changedPorts: 1 });
    expect(proxy.programmedRules().get('a/web/tcp/80')?.endpoints).toHaveLength(5);
    await proxy.stop();
  });

  it('after a failed transaction resyncs the whole table', async () => {
    const catalog = new TestCatalog();
    catalog.putService(testService('a', 'web', '10.96.0.10'));
    const host = new RecordingHost();
    const syncs: ProxySync[] = [];
    const proxy = proxyWith(catalog, host, syncs);
    proxy.start();
    await waitFor(() => host.transactions.length === 1, { timeoutMs: 5_000, description: 'host.transactions.length === 1' });
    host.failNext = true;
    catalog.putSlice(testSlice('a', 'web', ['10.244.1.10']));
    await waitFor(() => host.transactions.length === 2, { timeoutMs: 5_000, description: 'host.transactions.length === 2' });
    expect(host.transactions[1]).toContain('delete table ip skiff-proxy');
    expect(host.transactions[1]).toContain('dnat to 10.244.1.10:80');
    expect(syncs.map((s) => s.full)).toEqual([true, true]);
    await proxy.stop();
  });

  it('deletes the conntrack entries of a removed UDP endpoint', async () => {
    const catalog = new TestCatalog();
    const dns = testService('kube', 'dns', '10.96.0.53', { ports: [{ protocol: 'UDP', port: 53, targetPort: 53 }] });
    catalog.putService(dns);
    catalog.putSlice(testSlice('kube', 'dns', ['10.244.1.2', '10.244.1.3'], { port: 53, protocol: 'UDP' }));
    const host = new RecordingHost();
    const proxy = proxyWith(catalog, host, []);
    proxy.start();
    await waitFor(() => host.transactions.length === 1, { timeoutMs: 5_000, description: 'host.transactions.length === 1' });
    catalog.putSlice(testSlice('kube', 'dns', ['10.244.1.3'], { port: 53, protocol: 'UDP' }));
    await waitFor(() => host.conntrack.length > 0, { timeoutMs: 5_000, description: 'the conntrack deletion' });
    expect(host.conntrack).toEqual([['-p', 'udp', '--orig-dst', '10.96.0.53', '--orig-port-dst', '53', '--reply-src', '10.244.1.2']]);
    await proxy.stop();
  });
});

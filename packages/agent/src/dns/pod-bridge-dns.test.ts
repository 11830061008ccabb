// The cluster DNS where pods reach it: on a pod bridge's gateway address, port
// 53, asked from inside a pod's network namespace by busybox nslookup, with the
// resolv.conf a ClusterFirst pod gets (search path, ndots:5) and a name
// forwarded to a dnsmasq this suite runs on loopback. Test-only names: bridge
// skdns<random>, a /26 of 10.244.251.0/24 that no route uses (with its
// blackhole, as the agent installs it); everything is removed afterwards.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { freePort, skipUnlessRoot, startDnsmasq, type RunningDnsmasq } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgePodNetwork } from '../network/bridge-pod-network.js';
import { BLACKHOLE_METRIC, BRIDGE_RULE_PRIORITY } from '../network/host-safety.js';
import { runIp } from '../network/ip-command.js';
import { NETNS_DIR } from '../network/pod-network-names.js';
import type { PodNetworkAttachment } from '../network/pod-network.js';
import { ClusterDns } from './cluster-dns.js';
import { renderPodResolvConf } from './pod-resolv-conf.js';
import { MemoryServiceCatalog, service } from './test-catalog.js';

const BUSYBOX = '/bin/busybox';
const token = randomBytes(3).toString('hex');
const bridge = `skdns${token}`;
const uid = `${token}dns000-0000-4000-8000-${randomBytes(6).toString('hex')}`;

async function claimSlice(): Promise<{ cidr: string; lock: string }> {
  const used = await runIp(['route', 'show', 'root', '10.244.251.0/24']);
  for (const index of [0, 1, 2, 3].sort(() => Math.random() - 0.5)) {
    const cidr = `10.244.251.${index * 64}/26`;
    if (used.includes(`10.244.251.${index * 64}`)) continue;
    const lock = join(tmpdir(), `skiff-dns-test-slice-${index}.lock`);
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return { cidr, lock };
    } catch {
      // taken by another run
    }
  }
  throw new Error('every /26 of 10.244.251.0/24 is taken by routes or other runs (remove stale /tmp/skiff-dns-test-slice-*.lock)');
}

describe.skipIf(skipUnlessRoot({ commands: ['ip', 'dnsmasq'], files: [BUSYBOX] }))('cluster DNS on the pod bridge gateway (root)', () => {
  let slice: { cidr: string; lock: string } | undefined;
  let scratch = '';
  let network: BridgePodNetwork | undefined;
  let attachment: PodNetworkAttachment | undefined;
  let upstream: RunningDnsmasq | undefined;
  let dns: ClusterDns | undefined;
  let netnsName = '';

  /** busybox nslookup in the pod's namespace: its output, whatever its exit code (1 for NXDOMAIN). */
  const nslookup = (...args: string[]): Promise<string> =>
    new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', netnsName, BUSYBOX, 'nslookup', ...args], { timeout: 10_000 }, (error, stdout, stderr) =>
        resolve(`${stdout}${stderr}${error ? `\n(exit ${String(error.code)})` : ''}`),
      );
    });

  beforeAll(async () => {
    slice = await claimSlice();
    scratch = await mkdtemp(join(tmpdir(), 'skiff-dns-bridge-'));
    network = new BridgePodNetwork({ stateDir: join(scratch, 'network'), podCidr: slice.cidr.replace('/26', '/27'), clusterCidr: slice.cidr, bridgeName: bridge });
    attachment = await network.attach(uid);
    netnsName = attachment.netnsPath.slice(NETNS_DIR.length + 1);
    const port = await freePort();
    upstream = await startDnsmasq({ address: '127.0.0.64', port, hosts: ['192.0.2.80 www.outside.test'], localDomains: ['outside.test'] });
    const catalog = new MemoryServiceCatalog();
    catalog.putService(service('shop', 'backend', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] }));
    dns = new ClusterDns({ catalog, address: network.gateway, port: 53, upstreams: [{ host: '127.0.0.64', port }] });
    await dns.start();
    // `ip netns exec` binds /etc/netns/<name>/resolv.conf over /etc/resolv.conf: the file a ClusterFirst pod gets.
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 0 } };
    await mkdir(join('/etc/netns', netnsName), { recursive: true });
    await writeFile(join('/etc/netns', netnsName, 'resolv.conf'), renderPodResolvConf(pod, '', { nameserver: network.gateway, clusterDomain: 'cluster.local' }));
  }, 60_000);

  afterAll(async () => {
    await dns?.stop();
    await upstream?.stop();
    if (netnsName !== '') await rm(join('/etc/netns', netnsName), { recursive: true, force: true });
    await network?.detach(uid).catch(() => undefined);
    await runIp(['link', 'delete', 'dev', bridge]).catch(() => '');
    await runIp(['rule', 'delete', 'iif', bridge, 'priority', String(BRIDGE_RULE_PRIORITY), 'unreachable']).catch(() => '');
    if (slice) {
      await runIp(['route', 'delete', 'blackhole', slice.cidr, 'metric', String(BLACKHOLE_METRIC)]).catch(() => '');
      await unlink(slice.lock).catch(() => undefined);
    }
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  it('answers a pod at <gateway>:53 for a service, by full name and through the search path', async () => {
    expect(await readFile(join('/etc/netns', netnsName, 'resolv.conf'), 'utf8')).toContain(`nameserver ${network?.gateway}`);
    const full = await nslookup('backend.shop.svc.cluster.local', network?.gateway ?? '');
    expect(full).toMatch(/Address:\s+10\.96\.0\.10/);
    const short = await nslookup('backend');
    expect(short).toMatch(/Address:\s+10\.96\.0\.10/);
  });

  it('forwards an outside name to the upstream, and answers NXDOMAIN in the cluster domain', async () => {
    expect(await nslookup('www.outside.test', network?.gateway ?? '')).toMatch(/Address:\s+192\.0\.2\.80/);
    expect(await nslookup('nope.shop.svc.cluster.local', network?.gateway ?? '')).toMatch(/NXDOMAIN/);
  });
});

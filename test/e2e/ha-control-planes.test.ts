// skiff-controlplane in HA mode, three of them: each starts its etcd member,
// the members form one cluster with client and peer TLS from the cluster CA
// (plaintext and certificate-less clients refused), every control plane
// serves the same data, ctl fails over between them, and stopping a control
// plane stops its member. A fourth joins the running cluster.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CONTROLPLANE_MAIN,
  distributeSharedFiles,
  freePort,
  httpsGet,
  startControlPlane,
  startHaCluster,
  waitFor,
  type EtcdTls,
  type HaCluster,
  type HaControlPlane,
  type StartedControlPlane,
} from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let cluster: HaCluster | undefined;
let joined: StartedControlPlane | undefined;
let joinedDir: string | undefined;
let joinedClientUrl: string | undefined;
let startJoined: (() => Promise<StartedControlPlane>) | undefined;

/** The pid of the etcd a control plane with this data dir supervises (its command line names its data dir). */
async function memberPid(name: string, dataDir: string): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `etcd --name ${name} --data-dir ${join(dataDir, 'etcd')} `]);
  const pids = stdout.trim().split('\n').filter(Boolean).map(Number);
  if (pids.length !== 1) throw new Error(`expected one etcd for ${name}, found ${pids.length}`);
  return pids[0]!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  cluster = await startHaCluster();
}, 120_000);
afterAll(async () => {
  await joined?.controlPlane.stop();
  if (joinedDir) await rm(joinedDir, { recursive: true, force: true });
  await cluster?.stop();
}, 60_000);

async function etcdTlsOf(plane: HaControlPlane): Promise<EtcdTls & { files: string[] }> {
  const pki = join(plane.dataDir, 'pki');
  const files = [join(pki, 'ca.crt'), join(pki, 'etcd', 'client.crt'), join(pki, 'etcd', 'client.key')];
  const [caPem, certPem, keyPem] = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  return { caPem: caPem!, certPem: certPem!, keyPem: keyPem!, files };
}

function plainGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 2000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(`HTTP ${response.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

const configMap = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;

describe('HA mode: three control planes, three etcd members', () => {
  it('forms one 3-member etcd cluster over TLS that refuses plaintext and certificate-less clients', async () => {
    const planes = cluster!.controlPlanes;
    const tls = await etcdTlsOf(planes[0]!);
    const [cacert, cert, key] = tls.files;
    const { stdout } = await run('etcdctl', ['--endpoints', planes.map((p) => p.etcdClientUrl).join(','), '--cacert', cacert!, '--cert', cert!, '--key', key!, 'member', 'list', '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    const members = (JSON.parse(stdout) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] }).members;
    expect(members.map((m) => m.name).sort()).toEqual(['cp1', 'cp2', 'cp3']);
    for (const plane of planes) {
      expect(members.find((m) => m.name === plane.name)).toMatchObject({ peerURLs: [plane.etcdPeerUrl], clientURLs: [plane.etcdClientUrl] });
      expect(JSON.parse(await httpsGet(`${plane.etcdClientUrl}/health`, tls))).toMatchObject({ health: 'true' });
    }
    // The subcommands dial the https members with the files the control plane wrote.
    const tokens = await run(process.execPath, [CONTROLPLANE_MAIN, 'token', 'list', '--data-dir', planes[2]!.dataDir, '--etcd', planes.map((p) => p.etcdClientUrl).join(',')]);
    expect(tokens.stdout).toContain('written to the data dir at first start');
    const url = planes[1]!.etcdClientUrl;
    expect(await plainGet(`${url.replace('https://', 'http://')}/health`)).not.toBe('HTTP 200');
    const plaintext = await run('etcdctl', ['--endpoints', url.replace('https://', 'http://'), '--dial-timeout', '2s', '--command-timeout', '3s', 'get', 'x'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(plaintext).not.toBe('answered');
    const anonymous = await httpsGet(`${url}/health`, { ...tls, certPem: '', keyPem: '' }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(anonymous).not.toBe('answered');
  }, 60_000);

  it('adds a fourth control plane whose member joins the running cluster (--etcd-join: MemberAdd, then state existing)', async () => {
    const c = cluster!;
    const [first] = c.controlPlanes;
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-ha-join-'));
    joinedDir = dataDir;
    await distributeSharedFiles(first!.dataDir, dataDir);
    const host = '127.0.0.34';
    const clientUrl = `https://${host}:${await freePort()}`;
    const peerUrl = `https://${host}:${await freePort()}`;
    const endpoints = [...c.controlPlanes.map((p) => p.etcdClientUrl), clientUrl];
    startJoined = () =>
      startControlPlane(endpoints.join(','), dataDir, {
        name: 'controlplane:cp4',
        grpcAddress: `${host}:0`,
        httpAddress: `${host}:0`,
        controlPlaneArgs: ['--etcd-member', 'cp4', '--etcd-peer-url', peerUrl, '--etcd-client-url', clientUrl, '--etcd-join', c.controlPlanes.map((p) => p.etcdClientUrl).join(','), ...c.controlPlaneArgs],
      });
    joinedClientUrl = clientUrl;
    joined = await startJoined();
    const tls = await etcdTlsOf(first!);
    expect(JSON.parse(await httpsGet(`${clientUrl}/health`, tls))).toMatchObject({ health: 'true' });
    const [cacert, cert, key] = tls.files;
    const { stdout } = await run('etcdctl', ['--endpoints', clientUrl, '--cacert', cacert!, '--cert', cert!, '--key', key!, 'member', 'list', '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    expect((JSON.parse(stdout) as { members: { name: string }[] }).members.map((m) => m.name).sort()).toEqual(['cp1', 'cp2', 'cp3', 'cp4']);
    const got = await c.ctl(['get', 'namespaces', '-o', 'name', '--server', joined.grpcAddress]);
    expect(got.stdout).toContain('namespace/default');
  }, 90_000);

  it('starts its etcd member again when it dies (kill -9 of the member alone)', async () => {
    const plane = cluster!.controlPlanes[1]!;
    const tls = await etcdTlsOf(plane);
    const before = await memberPid(plane.name, plane.dataDir);
    process.kill(before, 'SIGKILL');
    await waitFor(
      async () => {
        const now = await memberPid(plane.name, plane.dataDir).catch(() => undefined);
        const health = await httpsGet(`${plane.etcdClientUrl}/health`, tls, 1000).catch(() => '{}');
        return now !== undefined && now !== before && (JSON.parse(health) as { health?: string }).health === 'true' ? true : undefined;
      },
      { timeoutMs: 30_000, description: `${plane.name}'s etcd member started again and healthy` },
    );
  }, 60_000);

  it('kill -9 of a control plane takes its etcd member with it; started again, the member comes back from its data', async () => {
    const tls = await etcdTlsOf(cluster!.controlPlanes[0]!);
    const pid = await memberPid('cp4', joinedDir!);
    await joined!.controlPlane.kill9();
    await waitFor(() => (alive(pid) ? undefined : true), { timeoutMs: 10_000, description: "cp4's etcd member to die with it (pdeathsig)" });
    joined = await startJoined!();
    await waitFor(async () => ((JSON.parse(await httpsGet(`${joinedClientUrl}/health`, tls, 1000).catch(() => '{}')) as { health?: string }).health === 'true' ? true : undefined), {
      timeoutMs: 30_000,
      description: 'cp4 member healthy again',
    });
  }, 90_000);

  it('serves the same data from every control plane, and ctl fails over when one stops, whose etcd member stops with it', async () => {
    const c = cluster!;
    const applied = await c.ctl(['apply', '-f', '-', '--server', c.servers[0]!], { stdin: configMap('ha-check') });
    expect(applied.stderr).toBe('');
    for (const server of c.servers) {
      const got = await c.ctl(['get', 'configmap', 'ha-check', '-o', 'json', '--server', server]);
      expect(JSON.parse(got.stdout)).toMatchObject({ data: { k: 'v' } });
    }
    const stopped = c.controlPlanes[0]!;
    await stopped.started.controlPlane.stop();
    const tls = await etcdTlsOf(c.controlPlanes[1]!);
    await waitFor(async () => ((await httpsGet(`${stopped.etcdClientUrl}/health`, tls, 1000).then(() => 'up', () => 'down')) === 'down' ? true : undefined), {
      timeoutMs: 20_000,
      description: `${stopped.name}'s etcd member to stop with it`,
    });
    // The admin kubeconfig lists all three: ctl moves past the stopped one, and two members are a quorum.
    const after = await c.ctl(['get', 'configmap', 'ha-check', '-o', 'json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ data: { k: 'v' } });
    const written = await c.ctl(['apply', '-f', '-'], { stdin: configMap('after-stop') });
    expect(written.stderr).toBe('');
  }, 90_000);
});

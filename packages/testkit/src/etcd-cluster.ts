// A throw-away 3-member etcd cluster with TLS everywhere, as HA mode runs it:
// each member on its own loopback address (127.0.0.x) with a server+peer
// certificate from one CA, client and peer certificates required. Tests give
// the CA to a control plane's data dir (pki/ca.crt, ca.key), which then dials
// the members with a client certificate of its own. Stopped and removed
// always (stop(), or the process exit hooks).
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCa, generateKeyPair, issueCertificate, type CertificateAuthority } from '@skiff/api/x509';
import { freePort } from './free-port.js';
import { onAbnormalExit, startProcess, type ManagedProcess } from './managed-process.js';
import { waitFor } from './wait-for.js';

export interface EtcdTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface EtcdClusterMember {
  readonly name: string;
  /** https://127.0.0.x:PORT */
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** The current etcd process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Starts the member again on its data (after kill9 or stop), as part of the same cluster. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  /** Every member's client URL. */
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdClusterMember[];
  /** The CA every certificate chains to; hand it to a control plane as pki/ca.crt and pki/ca.key. */
  readonly ca: CertificateAuthority;
  /** A client certificate for the test itself. */
  readonly clientTls: EtcdTls;
  /** GET /health of one member over mutual TLS: etcd's `health` field, or the error. */
  health(member: EtcdClusterMember): Promise<string>;
  /** Stops every member and removes the data. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEtcdClusterOptions {
  readonly members?: number;
  /** Use this CA instead of a fresh one. */
  readonly ca?: CertificateAuthority;
  /** First loopback host; members get consecutive ones (default 127.0.0.21). */
  readonly firstHost?: number;
  readonly readyTimeoutMs?: number;
}

const HOUR_MS = 3_600_000;

async function leaf(ca: CertificateAuthority, commonName: string, ipAddresses: string[], usages: ('client' | 'server')[]): Promise<EtcdTls> {
  const keys = await generateKeyPair();
  const now = Date.now();
  const issued = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    subject: { commonName },
    ipAddresses,
    usages,
    notBefore: new Date(now - HOUR_MS),
    notAfter: new Date(now + 24 * HOUR_MS),
  });
  return { caPem: ca.certPem, certPem: issued.certPem, keyPem: keys.privateKeyPem };
}

/** The flags HA mode gives etcd (etcd-member-config.ts), for a member of a test cluster. */
function memberArgs(name: string, dir: string, clientUrl: string, peerUrl: string, initialCluster: string): string[] {
  return [
    '--name', name,
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', 'new',
    '--client-cert-auth', '--trusted-ca-file', join(dir, 'ca.crt'), '--cert-file', join(dir, 'member.crt'), '--key-file', join(dir, 'member.key'),
    '--peer-client-cert-auth', '--peer-trusted-ca-file', join(dir, 'ca.crt'), '--peer-cert-file', join(dir, 'member.crt'), '--peer-key-file', join(dir, 'member.key'),
    '--heartbeat-interval', '100',
    '--election-timeout', '500',
    '--log-level', 'warn',
  ];
}

/** GET url over mutual TLS with `tls`; resolves with the body. */
export function httpsGet(url: string, tls: EtcdTls, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    // servername '': no SNI for an IP (RFC 6066), which Node would otherwise warn about.
    const req = request(url, { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, timeout: timeoutMs, servername: '' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startEtcdCluster(options: StartEtcdClusterOptions = {}): Promise<EtcdCluster> {
  const count = options.members ?? 3;
  const firstHost = options.firstHost ?? 21;
  const ca = options.ca ?? (await createSelfSignedCa({ subject: { commonName: 'skiff-test-etcd-ca' }, notAfter: new Date(Date.now() + 48 * HOUR_MS) }));
  const root = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'skiff-etcd-cluster-'));
  const forget = onAbnormalExit(() => rmSync(root, { recursive: true, force: true }));
  const specs: { name: string; dir: string; host: string; clientUrl: string; peerUrl: string }[] = [];
  for (let i = 0; i < count; i++) {
    const host = `127.0.0.${firstHost + i}`;
    specs.push({ name: `m${i + 1}`, dir: join(root, `m${i + 1}`), host, clientUrl: `https://${host}:${await freePort()}`, peerUrl: `https://${host}:${await freePort()}` });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const clientTls = await leaf(ca, 'skiff-test-etcd-client', [], ['client']);
  const members: Member[] = [];
  const health = async (member: EtcdClusterMember): Promise<string> => {
    try {
      return String((JSON.parse(await httpsGet(`${member.clientUrl}/health`, clientTls)) as { health?: unknown }).health);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(members.map((m) => m.process.stop()));
      await rm(root, { recursive: true, force: true });
      forget();
    })());
  try {
    for (const spec of specs) {
      await mkdir(spec.dir, { recursive: true, mode: 0o700 });
      const cert = await leaf(ca, `system:etcd-member:${spec.name}`, [spec.host, '127.0.0.1'], ['server', 'client']);
      await writeFile(join(spec.dir, 'ca.crt'), ca.certPem);
      await writeFile(join(spec.dir, 'member.crt'), cert.certPem);
      await writeFile(join(spec.dir, 'member.key'), cert.keyPem, { mode: 0o600 });
      members.push(new Member(spec.name, spec.clientUrl, spec.peerUrl, memberArgs(spec.name, spec.dir, spec.clientUrl, spec.peerUrl, initialCluster)));
    }
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    await waitFor(async () => ((await Promise.all(members.map(health))).every((h) => h === 'true') ? true : undefined), {
      timeoutMs,
      intervalMs: 100,
      description: `a ${count}-member etcd cluster to be healthy`,
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${members.map((m) => `--- ${m.name} ---\n${m.process.output()}`).join('\n')}`, { cause: error });
    });
    return { endpoints: members.map((m) => m.clientUrl), members, ca, clientTls, health, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

class Member implements EtcdClusterMember {
  private current: ManagedProcess;

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    private readonly args: string[],
  ) {
    this.current = this.launch();
  }

  get process(): ManagedProcess {
    return this.current;
  }

  private launch(): ManagedProcess {
    return startProcess({ name: `etcd:${this.name}`, command: process.env['ETCD_BIN'] ?? 'etcd', args: this.args });
  }

  async restart(): Promise<void> {
    if (this.current.running) await this.current.stop();
    this.current = this.launch();
  }
}

// What HA mode's local etcd member is told (--etcd-member and friends), checked
// up front so a typo fails with the flag's name, and the etcd command line it
// becomes: TLS on both listeners with certificates from the cluster CA, the
// client and peer certificates of callers checked against that CA, and raft
// timings short enough for the 1 s leases leader election uses.
import { join } from 'node:path';
import { InvalidError } from '@skiff/api';
import { canonicalIp } from '@skiff/api/x509';

export interface EtcdMemberConfig {
  /** --etcd-member: the member's name, unique in the etcd cluster. */
  readonly name: string;
  /** --etcd-peer-url: https://IP:PORT the other members reach this one at. */
  readonly peerUrl: string;
  /** --etcd-client-url: https://IP:PORT control planes reach this member at. */
  readonly clientUrl: string;
  /** --etcd-initial-cluster: `name=peerURL,…` for a static bootstrap (state new). */
  readonly initialCluster?: string;
  /** --etcd-join: client URLs of a running cluster to add this member to (state existing). */
  readonly join?: readonly string[];
  /** --etcd-data-dir: default <data-dir>/etcd. */
  readonly dataDir: string;
  /** The etcd binary (env ETCD_BIN, default `etcd` on PATH). */
  readonly binary?: string;
}

/** The files etcd is given: the cluster CA and the member's certificate and key. */
export interface EtcdMemberFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** etcd's defaults are 100 ms and 1000 ms; 500 ms lets a new leader arise well within a 1 s lease. */
export const HEARTBEAT_INTERVAL_MS = 100;
export const ELECTION_TIMEOUT_MS = 500;

/** Checks the flags together; throws InvalidError naming the flag and the fix. */
export function checkEtcdMemberConfig(config: EtcdMemberConfig): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(config.name)) {
    throw new InvalidError(`--etcd-member ${JSON.stringify(config.name)}: a member name is letters, digits, ".", "_" and "-" (at most 63)`);
  }
  memberUrlHost('--etcd-peer-url', config.peerUrl);
  memberUrlHost('--etcd-client-url', config.clientUrl);
  if ((config.initialCluster === undefined) === (config.join === undefined)) {
    throw new InvalidError('--etcd-member needs exactly one of --etcd-initial-cluster (bootstrap a new cluster: name=https://IP:PORT,… for every member) or --etcd-join (client URLs of a running cluster)');
  }
  if (config.initialCluster !== undefined) {
    const members = parseInitialCluster(config.initialCluster);
    const own = members.find((m) => m.name === config.name);
    if (!own || own.peerUrl !== config.peerUrl) {
      throw new InvalidError(`--etcd-initial-cluster must list this member as ${config.name}=${config.peerUrl} (its --etcd-member and --etcd-peer-url)`);
    }
  }
  for (const url of config.join ?? []) memberUrlHost('--etcd-join', url);
}

/** `n1=https://a:2380,n2=https://b:2380` → [{ name, peerUrl }]; throws InvalidError on a malformed entry. */
export function parseInitialCluster(text: string): { name: string; peerUrl: string }[] {
  const entries = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (entries.length === 0) throw new InvalidError('--etcd-initial-cluster names no member; give name=https://IP:PORT for each');
  return entries.map((entry) => {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new InvalidError(`--etcd-initial-cluster entry ${JSON.stringify(entry)}: expected name=https://IP:PORT`);
    const peerUrl = entry.slice(equals + 1);
    memberUrlHost('--etcd-initial-cluster', peerUrl);
    return { name: entry.slice(0, equals), peerUrl };
  });
}

/** The host of an https://IP:PORT URL (etcd listens only on IPs), or InvalidError. */
export function memberUrlHost(flag: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidError(`${flag} ${JSON.stringify(url)}: not a URL; expected https://IP:PORT`);
  }
  if (parsed.protocol !== 'https:') throw new InvalidError(`${flag} ${url}: must be https (etcd runs with TLS only in HA mode)`);
  const ip = canonicalIp(parsed.hostname);
  if (ip === undefined) throw new InvalidError(`${flag} ${url}: the host must be an IP address (etcd listens on IPs), for example https://10.0.0.1:2380`);
  if (parsed.port === '' || (parsed.pathname !== '/' && parsed.pathname !== '')) {
    throw new InvalidError(`${flag} ${url}: expected https://IP:PORT with an explicit port and no path`);
  }
  return ip;
}

/** Where etcd keeps its member state: present once it has started at least once. */
export function memberDir(config: EtcdMemberConfig): string {
  return join(config.dataDir, 'member');
}

/** The etcd command line for this member, bootstrapping (`new`) or joining (`existing`) with `initialCluster`. */
export function etcdArgs(config: EtcdMemberConfig, files: EtcdMemberFiles, initialCluster: string, state: 'new' | 'existing', clusterToken: string): string[] {
  return [
    '--name', config.name,
    '--data-dir', config.dataDir,
    '--listen-client-urls', config.clientUrl,
    '--advertise-client-urls', config.clientUrl,
    '--listen-peer-urls', config.peerUrl,
    '--initial-advertise-peer-urls', config.peerUrl,
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', state,
    '--initial-cluster-token', clusterToken,
    '--client-cert-auth', '--trusted-ca-file', files.caFile, '--cert-file', files.certFile, '--key-file', files.keyFile,
    '--peer-client-cert-auth', '--peer-trusted-ca-file', files.caFile, '--peer-cert-file', files.certFile, '--peer-key-file', files.keyFile,
    '--heartbeat-interval', String(HEARTBEAT_INTERVAL_MS),
    '--election-timeout', String(ELECTION_TIMEOUT_MS),
    '--log-level', 'warn',
  ];
}

// A high-availability cluster on this machine: three control planes in HA
// mode, each on its own loopback address (127.0.0.x) with the etcd member it
// starts and supervises, forming one 3-member etcd cluster with TLS. The
// first control plane makes the cluster CA and keys; they reach the others by
// the documented manual distribution (copied into their data dirs before
// their first start). Agents get all three servers. `npm run cluster -- --ha`
// and the HA e2e suite use it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterServers, parseKubeconfig, serializeKubeconfig, SERVERS_EXTENSION, type Kubeconfig } from '@skiff/api';
import { freePort } from './free-port.js';
import { destroyAgents, ManagedAgent, startAgent, startControlPlane, throwAgentFailures, type AgentNetwork, type AgentOptions, type LocalAgent, type StartedControlPlane } from './local-cluster.js';
import { claimPodNetwork, type PodNetworkLease } from './pod-network-lease.js';
import { runCtl, type CtlResult, type RunCtlOptions } from './run-ctl.js';
import { waitFor } from './wait-for.js';

/** What every control plane of one cluster must share (relative to its data dir), and each file's mode. */
export const SHARED_CONTROL_PLANE_FILES: readonly { path: string; mode: number }[] = [
  { path: 'pki/ca.crt', mode: 0o644 },
  { path: 'pki/ca.key', mode: 0o600 },
  { path: 'pki/service-account.key', mode: 0o600 },
  { path: 'secrets-encryption.json', mode: 0o600 },
];

export interface HaClusterOptions {
  /** Keep the data here (cpN/ per control plane, admin.kubeconfig); a fresh temporary dir otherwise. */
  readonly root?: string;
  /** Control plane N runs on 127.0.0.(firstHost + N - 1); default 31. */
  readonly firstHost?: number;
  /** Fixed ports on every host (the dev cluster's defaults); free random ones otherwise. */
  readonly ports?: { readonly grpc: number; readonly http: number; readonly etcdClient: number; readonly etcdPeer: number };
  readonly logLevel?: string;
  readonly controlPlaneArgs?: readonly string[];
  /** As LocalClusterOptions.ownPodNetwork (default on). */
  readonly ownPodNetwork?: boolean;
}

export interface HaControlPlane {
  readonly name: string;
  readonly host: string;
  readonly dataDir: string;
  readonly etcdClientUrl: string;
  readonly etcdPeerUrl: string;
  readonly started: StartedControlPlane;
}

export interface HaCluster {
  readonly controlPlanes: readonly HaControlPlane[];
  /** Every control plane's gRPC address, as agents and ctl are given them. */
  readonly servers: readonly string[];
  /** The admin kubeconfig naming all servers (skiff.dev/servers extension). */
  readonly adminKubeconfig: string;
  readonly tokenFile: string;
  /** The flags every control plane got beyond its own addresses and member (the pod network…), for one that joins later. */
  readonly controlPlaneArgs: readonly string[];
  readonly agents: readonly LocalAgent[];
  ctl(args: readonly string[], options?: RunCtlOptions): Promise<CtlResult>;
  addAgent(options: AgentOptions): Promise<LocalAgent>;
  /** Agents (reset), then the control planes (each stopping its etcd member). Safe to call twice. */
  stop(): Promise<void>;
}

const MEMBERS = 3;

export async function startHaCluster(options: HaClusterOptions = {}): Promise<HaCluster> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'skiff-ha-')));
  await mkdir(root, { recursive: true, mode: 0o700 });
  const firstHost = options.firstHost ?? 31;
  const port = async (fixed: number | undefined): Promise<number> => fixed ?? (await freePort());
  const planes: Omit<HaControlPlane, 'started'>[] = [];
  const addresses: { grpc: string; http: string }[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const host = `127.0.0.${firstHost + i}`;
    const ports = options.ports;
    planes.push({
      name: `cp${i + 1}`,
      host,
      dataDir: join(root, `cp${i + 1}`),
      etcdClientUrl: `https://${host}:${await port(ports?.etcdClient)}`,
      etcdPeerUrl: `https://${host}:${await port(ports?.etcdPeer)}`,
    });
    addresses.push({ grpc: `${host}:${await port(ports?.grpc)}`, http: `${host}:${await port(ports?.http)}` });
  }
  const initialCluster = planes.map((p) => `${p.name}=${p.etcdPeerUrl}`).join(',');
  const etcdEndpoints = planes.map((p) => p.etcdClientUrl).join(',');
  let lease: PodNetworkLease | undefined;
  const running: StartedControlPlane[] = [];
  const starting: Promise<unknown>[] = [];
  const agents: ManagedAgent[] = [];
  const cleanUp = async (): Promise<void> => {
    await Promise.all(running.map((r) => r.controlPlane.stop()));
    await lease?.release();
    if (!options.root) await rm(root, { recursive: true, force: true });
  };
  try {
    lease = (options.ownPodNetwork ?? true) ? await claimPodNetwork() : undefined;
    const args = [...(lease ? ['--pod-network', lease.podNetwork] : []), ...(options.controlPlaneArgs ?? [])];
    const start = (i: number): Promise<StartedControlPlane> => {
      const plane = planes[i]!;
      const promise = startControlPlane(etcdEndpoints, plane.dataDir, {
        name: `controlplane:${plane.name}`,
        grpcAddress: addresses[i]!.grpc,
        httpAddress: addresses[i]!.http,
        ...(options.logLevel ? { logLevel: options.logLevel } : {}),
        controlPlaneArgs: [
          '--etcd-member', plane.name,
          '--etcd-peer-url', plane.etcdPeerUrl,
          '--etcd-client-url', plane.etcdClientUrl,
          '--etcd-initial-cluster', initialCluster,
          ...args,
        ],
      }).then((started) => {
        running.push(started);
        return started;
      });
      starting.push(promise);
      return promise;
    };
    // The first makes the CA and keys; the others get copies before they start (a quorum needs two).
    const first = start(0);
    const filesWritten = waitFor(async () => (await sharedFilesPresent(planes[0]!.dataDir)) || undefined, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `${planes[0]!.name} to write its CA and keys`,
    });
    // The first's failure (with its output) ends the wait at once.
    await Promise.race([filesWritten, first.then(() => undefined)]);
    for (const plane of planes.slice(1)) await distributeSharedFiles(planes[0]!.dataDir, plane.dataDir);
    const started = await Promise.all([first, start(1), start(2)]);
    const controlPlanes = planes.map((plane, i) => ({ ...plane, started: started[i]! }));
    const servers = started.map((s) => s.grpcAddress);
    const adminKubeconfig = join(root, 'admin.kubeconfig');
    await writeFile(adminKubeconfig, await withServers(started[0]!.adminKubeconfig, servers), { mode: 0o600 });
    const agentRoot = await mkdtemp(join(tmpdir(), 'skiff-ha-agents-'));
    const network: AgentNetwork = { tablePrefix: lease ? `skiff-proxy-${lease.slot}` : 'skiff-proxy', clusterId: randomBytes(3).toString('hex') };
    let stopping: Promise<void> | undefined;
    return {
      controlPlanes,
      servers,
      adminKubeconfig,
      tokenFile: started[0]!.tokenFile,
      controlPlaneArgs: args,
      agents,
      ctl: (ctlArgs, ctlOptions) => runCtl(adminKubeconfig, ctlArgs, ctlOptions),
      addAgent: async (agentOptions) => {
        return startAgent(agents, new ManagedAgent(agentOptions, servers.join(','), started[0]!.tokenFile, join(agentRoot, agentOptions.name), network));
      },
      stop: () =>
        (stopping ??= (async () => {
          const failures = await destroyAgents(agents);
          await cleanUp();
          await rm(agentRoot, { recursive: true, force: true });
          throwAgentFailures(failures);
        })()),
    };
  } catch (error) {
    // Let every start finish (or fail) first, so that none is left running.
    await Promise.allSettled(starting);
    await cleanUp();
    throw error;
  }
}

async function sharedFilesPresent(dataDir: string): Promise<boolean> {
  return SHARED_CONTROL_PLANE_FILES.every((file) => existsSync(join(dataDir, file.path)));
}

/** The manual distribution the README describes: the shared files, copied with their modes, unless the target has them. */
export async function distributeSharedFiles(fromDataDir: string, toDataDir: string): Promise<void> {
  await mkdir(join(toDataDir, 'pki'), { recursive: true, mode: 0o700 });
  await chmod(toDataDir, 0o700);
  for (const file of SHARED_CONTROL_PLANE_FILES) {
    const target = join(toDataDir, file.path);
    if (existsSync(target)) continue;
    await copyFile(join(fromDataDir, file.path), target);
    await chmod(target, file.mode);
  }
}

/** The admin kubeconfig with every gRPC server listed for ctl (`server` stays the first plane's REST API, which kubectl uses). */
async function withServers(path: string, servers: readonly string[]): Promise<string> {
  const config = parseKubeconfig(await readFile(path, 'utf8'), path);
  const urls = servers.map((server) => `https://${server}`);
  const ha: Kubeconfig = {
    ...config,
    clusters: config.clusters.map((named) => {
      const others = (named.cluster.extensions ?? []).filter((e) => e.name !== SERVERS_EXTENSION);
      const all = [...new Set([...clusterServers(named.cluster), ...urls])];
      return { ...named, cluster: { ...named.cluster, extensions: [...others, { name: SERVERS_EXTENSION, extension: { servers: all } }] } };
    }),
  };
  return serializeKubeconfig(ha);
}

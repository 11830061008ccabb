// A whole Skiff cluster on this machine, as real processes: its own etcd and
// the control plane. End-to-end suites and `npm run cluster` both use it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEtcd, type EtcdServer } from './etcd.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { inNetworkNamespace, NETNS_DIR } from './network-namespace-command.js';
import { nodeFlagsOf } from './node-flags.js';
import { claimPodNetwork, type PodNetworkLease } from './pod-network-lease.js';
import { AGENT_MAIN, CONTROLPLANE_MAIN } from './repo-paths.js';
import type { ApiClient } from '@skiff/api';
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { adminApiClient, adminChannelCredentials } from './admin-client.js';
import { runCtl, type CtlResult, type RunCtlOptions } from './run-ctl.js';

export interface LocalClusterOptions {
  /** etcd data dir to use and keep; a fresh temporary one otherwise. */
  readonly dataDir?: string;
  /**
   * The control plane's data dir (CA, keys, `token`, `admin.kubeconfig`) to use
   * and keep; a fresh temporary one otherwise. Keep it with a kept etcd data
   * dir: etcd's Secrets are encrypted with its key and its join tokens pin its CA.
   */
  readonly controlPlaneDataDir?: string;
  readonly etcdClientPort?: number;
  readonly etcdPeerPort?: number;
  /** More etcd flags (e.g. a small --quota-backend-bytes). */
  readonly etcdArgs?: readonly string[];
  /** Control plane addresses; port 0 (the default) picks free ports. */
  readonly grpcAddress?: string;
  readonly httpAddress?: string;
  readonly logLevel?: string;
  /** Extra control plane flags (timings, strategy…). */
  readonly controlPlaneArgs?: readonly string[];
  /**
   * A pod network of this cluster's own (pod-network-lease.ts), so that clusters sharing the
   * root namespace's skiff0 bridge never hand out the same pod addresses. Default: on when the
   * cluster runs in this process's namespace and controlPlaneArgs set no --pod-network; the dev
   * cluster turns it off to keep the documented 10.244.0.0/16.
   */
  readonly ownPodNetwork?: boolean;
  /**
   * More gRPC addresses for the same control plane (e.g. a veth's host-side
   * address that an agent in a network namespace can reach); port 0 picks a
   * free one. Loopback (grpcAddress) stays the primary address.
   */
  readonly extraGrpcAddresses?: readonly string[];
  /**
   * Run etcd and the control plane inside this network namespace (a host of
   * a multi-host cluster). Its addresses are then the namespace's: ctl() runs
   * there too, apiClient() refuses (this process must not dial them), and
   * every agent needs a netns of its own.
   */
  readonly netns?: string;
}

export interface AgentOptions {
  readonly name: string;
  readonly runtime?: 'runc' | 'process';
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** KEY[=VALUE]:EFFECT, as skiff-agent --taint takes them. */
  readonly taints?: readonly string[];
  readonly insecureRegistries?: readonly string[];
  readonly extraArgs?: readonly string[];
  /** Run the agent inside this network namespace (`ip netns exec NS …`), e.g. a NamespaceHost's. */
  readonly netns?: string;
  /** The control plane address the agent dials; default the cluster's loopback grpcAddress. */
  readonly server?: string;
  /** The agent's own gRPC address (`--listen`); default 127.0.0.1:0. */
  readonly listen?: string;
  /** The join token file (`--token-file`); default the cluster's first token. */
  readonly tokenFile?: string;
}

export interface LocalAgent {
  readonly name: string;
  readonly stateDir: string;
  /**
   * Its cgroups live under /skiff/<cgroupInstance> in every hierarchy: `<name>-<cluster id>`, so
   * that suites running side by side with agents of the same name never touch each other's.
   */
  readonly cgroupInstance: string;
  /** The current agent process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Starts the agent again on the same state dir (after a stop or kill9). */
  restart(): Promise<void>;
  /** Where the current agent process serves /metrics and /healthz (`--http-listen`, default 127.0.0.1:0); undefined with --http-listen off. */
  readonly httpAddress: string | undefined;
}

export interface LocalCluster {
  readonly etcd: EtcdServer;
  /** The control plane's data dir: CA, keys, `token`, `admin.kubeconfig`. */
  readonly dataDir: string;
  /** The admin kubeconfig ctl is given (`--kubeconfig`). */
  readonly adminKubeconfig: string;
  /** The first join token's file, which agents are given (`--token-file`). */
  readonly tokenFile: string;
  /** The current control plane process (a new one after restartControlPlane()). */
  readonly controlPlane: ManagedProcess;
  readonly grpcAddress: string;
  /** The bound extraGrpcAddresses (real ports), in the order asked for. */
  readonly extraGrpcAddresses: readonly string[];
  readonly httpAddress: string;
  /** The Kubernetes REST API (kubectl), host:port; bound on a free port (`--rest-listen 127.0.0.1:0`) unless controlPlaneArgs name one. */
  readonly restAddress: string;
  readonly agents: readonly LocalAgent[];
  ctl(args: readonly string[], options?: RunCtlOptions): Promise<CtlResult>;
  /** An Api client over mutual TLS as the admin (to the primary address, or `address`). */
  apiClient(address?: string, options?: ChannelOptions): ApiClient;
  /** The admin's mutual-TLS credentials, for raw grpc-js clients. */
  channelCredentials(): ChannelCredentials;
  /** Starts the control plane again on the same addresses (after a stop or kill9), so agents find it. */
  restartControlPlane(): Promise<void>;
  /** Starts a node agent against this control plane; resolves once it has registered. */
  addAgent(options: AgentOptions): Promise<LocalAgent>;
  /**
   * Stops the agents (and wipes their containers, mounts, cgroups and network
   * namespaces with `skiff-agent --reset`), the control plane, then etcd. Safe to call twice.
   */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const etcd = await startEtcd({
    dataDir: options.dataDir,
    clientPort: options.etcdClientPort,
    peerPort: options.etcdPeerPort,
    netns: options.netns,
    ...(options.etcdArgs ? { extraArgs: options.etcdArgs } : {}),
  });
  const dataDir = options.controlPlaneDataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-controlplane-')));
  const wantsLease = options.ownPodNetwork ?? (options.netns === undefined && !(options.controlPlaneArgs ?? []).includes('--pod-network'));
  let lease: PodNetworkLease | undefined;
  const removeDataDir = async (): Promise<void> => {
    await lease?.release();
    if (!options.controlPlaneDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    lease = wantsLease ? await claimPodNetwork() : undefined;
    const networkArgs = lease ? ['--pod-network', lease.podNetwork] : [];
    options = { ...options, controlPlaneArgs: [...networkArgs, ...(options.controlPlaneArgs ?? [])] };
    const agentNetwork: AgentNetwork = { tablePrefix: lease ? `skiff-proxy-${lease.slot}` : 'skiff-proxy', clusterId: randomBytes(3).toString('hex') };
    const started = await startControlPlane(etcd.endpoint, dataDir, options);
    let controlPlane = started.controlPlane;
    const agents: ManagedAgent[] = [];
    const agentRoot = await mkdtemp(join(tmpdir(), 'skiff-agents-'));
    let stopping: Promise<void> | undefined;
    return {
      etcd,
      dataDir,
      adminKubeconfig: started.adminKubeconfig,
      tokenFile: started.tokenFile,
      get controlPlane() {
        return controlPlane;
      },
      grpcAddress: started.grpcAddress,
      extraGrpcAddresses: started.extraGrpcAddresses,
      httpAddress: started.httpAddress,
      restAddress: started.restAddress,
      agents,
      restartControlPlane: async () => {
        if (controlPlane.running) await controlPlane.stop();
        const again = await startControlPlane(etcd.endpoint, dataDir, {
          ...options,
          grpcAddress: started.grpcAddress,
          // The bound ports, not 0 again: agents elsewhere keep dialling the same addresses.
          extraGrpcAddresses: started.extraGrpcAddresses,
          httpAddress: started.httpAddress,
        });
        controlPlane = again.controlPlane;
      },
      ctl: (args, ctlOptions) => runCtl(started.adminKubeconfig, args, { netns: options.netns, ...ctlOptions }),
      apiClient: (address, channelOptions) => {
        if (options.netns !== undefined) {
          throw new Error(`the control plane listens inside network namespace ${options.netns}: talk to it with ctl(), which runs there, not from this process`);
        }
        return adminApiClient(started.adminKubeconfig, address ?? started.grpcAddress, channelOptions);
      },
      channelCredentials: () => adminChannelCredentials(started.adminKubeconfig),
      addAgent: async (agentOptions) => {
        if (options.netns !== undefined && agentOptions.netns === undefined) {
          throw new Error(`agent ${agentOptions.name}: the control plane runs inside network namespace ${options.netns}; give the agent a netns (and a server) it can reach it from`);
        }
        return startAgent(agents, new ManagedAgent(agentOptions, started.grpcAddress, started.tokenFile, join(agentRoot, agentOptions.name), agentNetwork));
      },
      stop: () =>
        (stopping ??= (async () => {
          const failures = await destroyAgents(agents);
          await controlPlane.stop();
          await etcd.stop();
          await rm(agentRoot, { recursive: true, force: true });
          await removeDataDir();
          throwAgentFailures(failures);
        })()),
    };
  } catch (error) {
    await etcd.stop();
    await removeDataDir();
    throw error;
  }
}

export interface StartedControlPlane {
  readonly controlPlane: ManagedProcess;
  readonly grpcAddress: string;
  readonly extraGrpcAddresses: readonly string[];
  readonly httpAddress: string;
  readonly restAddress: string;
  readonly adminKubeconfig: string;
  readonly tokenFile: string;
}

/**
 * One skiff-controlplane process against `etcdEndpoint` (comma-separated URLs), resolved once it
 * announces its addresses; stopped (with its output in the error) if it does not.
 */
export async function startControlPlane(etcdEndpoint: string, dataDir: string, options: LocalClusterOptions & { name?: string }): Promise<StartedControlPlane> {
  const controlPlane = startProcess({
    name: options.name ?? 'controlplane',
    ...inNetworkNamespace(options.netns, process.execPath, [
      ...nodeFlagsOf(CONTROLPLANE_MAIN),
      CONTROLPLANE_MAIN,
      '--etcd', etcdEndpoint,
      '--data-dir', dataDir,
      '--listen', [options.grpcAddress ?? '127.0.0.1:0', ...(options.extraGrpcAddresses ?? [])].join(','),
      '--http-listen', options.httpAddress ?? '127.0.0.1:0',
      ...(options.controlPlaneArgs ?? []).includes('--rest-listen') ? [] : ['--rest-listen', '127.0.0.1:0'],
      '--log-level', options.logLevel ?? 'info',
      ...(options.controlPlaneArgs ?? []),
    ]),
  });
  try {
    const [line] = await controlPlane.waitForLine(/^\{.*"msg":"control plane listening".*\}$/, START_TIMEOUT_MS);
    const announced = JSON.parse(line) as {
      grpcAddress: string;
      grpcAddresses?: readonly string[];
      httpAddress: string;
      restAddress?: string;
      adminKubeconfig: string;
      tokenFile: string;
    };
    return {
      controlPlane,
      grpcAddress: announced.grpcAddress,
      // grpcAddresses lists the primary first, then the extra ones.
      extraGrpcAddresses: (announced.grpcAddresses ?? []).slice(1),
      httpAddress: announced.httpAddress,
      restAddress: announced.restAddress ?? '',
      adminKubeconfig: announced.adminKubeconfig,
      tokenFile: announced.tokenFile,
    };
  } catch (error) {
    await controlPlane.stop();
    throw new Error(`control plane did not start: ${(error as Error).message}\n--- its output ---\n${controlPlane.output()}`, {
      cause: error,
    });
  }
}

const run = promisify(execFile);

/** Starts `agent`, kept in `agents` (for destroyAgents) even if it fails to start. */
export async function startAgent(agents: ManagedAgent[], agent: ManagedAgent): Promise<ManagedAgent> {
  agents.push(agent);
  await agent.start();
  return agent;
}

/** Stops every agent and wipes what it started; returns the failures, for throwAgentFailures once the rest is stopped too. */
export async function destroyAgents(agents: readonly ManagedAgent[]): Promise<unknown[]> {
  const failures: unknown[] = [];
  await Promise.all(agents.map((agent) => agent.destroy().catch((error: unknown) => failures.push(error))));
  return failures;
}

export function throwAgentFailures(failures: readonly unknown[]): void {
  if (failures.length > 0) throw new AggregateError(failures, 'some agents could not be cleaned up');
}

/** One agent process of a local cluster (exported for suites that start control planes themselves, e.g. several). */
export class ManagedAgent implements LocalAgent {
  private current?: ManagedProcess;
  private runningHttpAddress?: string;

  constructor(
    private readonly options: AgentOptions,
    private readonly server: string,
    private readonly tokenFile: string,
    readonly stateDir: string,
    private readonly network: AgentNetwork = { tablePrefix: 'skiff-proxy', clusterId: randomBytes(3).toString('hex') },
  ) {}

  get cgroupInstance(): string {
    return `${this.options.name}-${this.network.clusterId}`.slice(0, 63);
  }

  get name(): string {
    return this.options.name;
  }

  get process(): ManagedProcess {
    if (!this.current) throw new Error(`agent ${this.name} was never started`);
    return this.current;
  }

  get httpAddress(): string | undefined {
    return this.runningHttpAddress;
  }

  async start(): Promise<void> {
    const o = this.options;
    const child = startProcess({ name: `agent:${o.name}`, ...this.agentCommand([...this.baseArgs(), ...(o.extraArgs ?? [])], true) });
    this.current = child;
    try {
      const running = await child.waitForLine(/"msg":"agent running"/, START_TIMEOUT_MS);
      this.runningHttpAddress = /"httpAddress":"([^"]+)"/.exec(running.input ?? '')?.[1];
    } catch (error) {
      await child.stop();
      throw new Error(`agent ${o.name} did not start: ${(error as Error).message}\n--- its output ---\n${child.output()}`, { cause: error });
    }
  }

  async restart(): Promise<void> {
    if (this.current?.running) await this.current.stop();
    await this.start();
  }

  /** Stops the agent and removes every container it started, whatever state the test left. */
  async destroy(): Promise<void> {
    await this.current?.stop();
    // In the namespace while it exists (the runtime's own network set-up lives
    // there); once it is gone, what the namespace held went with it, and the
    // containers and files left are reset from the root namespace.
    const inNamespace = this.options.netns !== undefined && existsSync(`${NETNS_DIR}/${this.options.netns}`);
    const { command, args } = this.agentCommand([...this.baseArgs(), '--reset'], inNamespace);
    await run(command, args, { timeout: 120_000 });
  }

  /**
   * The agent's argv, inside its network namespace when it has one and
   * `inNamespace` (see network-namespace-command.ts: the pid, and what
   * stop()/kill9() signal, is the agent's own, and runc sees the cgroups).
   */
  private agentCommand(args: readonly string[], inNamespace: boolean): { command: string; args: string[] } {
    return inNetworkNamespace(inNamespace ? this.options.netns : undefined, process.execPath, [...nodeFlagsOf(AGENT_MAIN), AGENT_MAIN, ...args]);
  }

  private baseArgs(): string[] {
    const o = this.options;
    return [
      '--server', o.server ?? this.server,
      '--token-file', o.tokenFile ?? this.tokenFile,
      '--name', o.name,
      '--listen', o.listen ?? '127.0.0.1:0',
      // Several agents share a host here: each its own /metrics port, unless told.
      ...(!(o.extraArgs ?? []).includes('--http-listen') ? ['--http-listen', '127.0.0.1:0'] : []),
      '--state-dir', this.stateDir,
      '--cgroup-instance', this.cgroupInstance,
      '--runtime', o.runtime ?? 'runc',
      ...(o.cpu ? ['--cpu', o.cpu] : []),
      ...(o.memory ? ['--memory', o.memory] : []),
      ...(o.pods ? ['--pods', o.pods] : []),
      ...Object.entries(o.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...(o.taints ?? []).flatMap((t) => ['--taint', t]),
      ...(o.insecureRegistries ?? []).flatMap((r) => ['--insecure-registry', r]),
      // Agents sharing this process's network namespace each keep their own service proxy table
      // (they would otherwise rewrite and delete one another's); an agent in a namespace of its own keeps the default.
      ...(o.netns === undefined && !(o.extraArgs ?? []).includes('--proxy-table') ? ['--proxy-table', proxyTableOf(o.name, this.network.tablePrefix)] : []),
    ];
  }
}

/** What the agents of one local cluster share: their proxy tables' prefix (with the lease's slot in it). */
export interface AgentNetwork {
  readonly tablePrefix: string;
  /** Random, per cluster: the suffix of its agents' cgroup instance names. */
  readonly clusterId: string;
}

/** `<prefix>-<node name>` (prefix `skiff-proxy`, or `skiff-proxy-<lease slot>`), in the characters --proxy-table accepts. */
export function proxyTableOf(nodeName: string, prefix = 'skiff-proxy'): string {
  return `${prefix}-${nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
}

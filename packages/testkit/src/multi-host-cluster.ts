// A Skiff cluster of several hosts on one machine: a LAN (lan.ts) with a
// control-plane host, where etcd and the control plane run, and agent hosts,
// one agent each, every one in its own network namespace. The control plane
// listens only on its LAN address, over TLS; each agent joins with a token
// file, dials that address, listens on its own LAN address (the control plane
// dials it back for logs) and makes its pod bridge inside its own namespace.
// ctl runs inside the control-plane host. Nothing here talks to a LAN address
// from the root namespace (network-safety rule, README "The real parts in
// tests, and network safety"); a loopback registry is made reachable on the
// LAN with a relay (namespace-port-forward.ts).
import { createLan, type Lan, type LanHost } from './lan.js';
import type { ManagedProcess } from './managed-process.js';
import { forwardIntoNamespace, type NamespacePortForward } from './namespace-port-forward.js';
import { startLocalCluster, type AgentOptions, type LocalAgent, type LocalCluster } from './local-cluster.js';
import { runCommand, type CommandResult, type RunCommandOptions } from './run-command.js';
import type { CtlResult, RunCtlOptions } from './run-ctl.js';

/** The control plane's ports on its LAN address (its namespace is its own, so fixed ports cannot clash). */
export const CONTROL_PLANE_PORT = 7400;
export const AGENT_PORT = 7410;
/** Where a registry given as `registry` appears on the control-plane host. */
export const LAN_REGISTRY_PORT = 5000;

/** What every agent (or one added later) is started with; name, namespace and addresses are the harness's. */
export type HostAgentOptions = Omit<AgentOptions, 'name' | 'netns' | 'server' | 'listen'>;

export interface MultiHostClusterOptions {
  /** How many agent hosts, named node-1, node-2, …; default 3. */
  readonly hosts?: number;
  /** The LAN's /24 inside 10.77.0.0/16; default the first one no other LAN on this machine has. */
  readonly subnet?: string;
  /** Extra control plane flags (timings, --node-cert-ttl…). */
  readonly controlPlaneArgs?: readonly string[];
  /** Agent options for every host (default runtime runc). */
  readonly agent?: HostAgentOptions;
  /** A registry on this machine's loopback (HOST:PORT) to serve on the LAN; agents trust it over plain HTTP. */
  readonly registry?: string;
  readonly logLevel?: string;
}

/** A host of the cluster: a network namespace on the LAN. */
export interface MultiHost extends LanHost {
  /** Runs `command args` inside this host (e.g. `busybox wget` to a pod on it) and collects what it printed. */
  run(command: string, args: readonly string[], options?: Omit<RunCommandOptions, 'netns'>): Promise<CommandResult>;
}

export interface ClusterHost extends MultiHost {
  /** The agent on this host; its node name is the host's name. */
  readonly agent: LocalAgent;
}

export interface MultiHostControlPlane extends MultiHost {
  /** LAN_ADDRESS:7400, the only address it listens on (TLS). */
  readonly grpcAddress: string;
  /** Its data dir: CA, keys, `token`, `admin.kubeconfig` (whose server is grpcAddress). */
  readonly dataDir: string;
  readonly adminKubeconfig: string;
  readonly tokenFile: string;
  /** The current control plane process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Starts it again on the same address and data (after a stop or kill9). */
  restart(): Promise<void>;
}

export interface MultiHostCluster {
  readonly lan: Lan;
  readonly controlPlane: MultiHostControlPlane;
  /** The agent hosts that joined, in order (addHost() appends). */
  readonly hosts: readonly ClusterHost[];
  /** The registry's LAN address (CONTROL_PLANE_LAN_ADDRESS:5000) when one was given: image references use it. */
  readonly registry: string | undefined;
  /** The underlying cluster (etcd and the control plane, inside the control-plane host). */
  readonly local: LocalCluster;
  /** ctl as the admin, run inside the control-plane host. */
  ctl(args: readonly string[], options?: Omit<RunCtlOptions, 'netns'>): Promise<CtlResult>;
  /** The host named `name`; throws when there is none. */
  host(name: string): ClusterHost;
  /**
   * A new host on the LAN with an agent (`agent` over the cluster's agent
   * options); resolves once the agent runs, and rejects with its output if it
   * does not (a refused join). Either way stop() cleans the host up.
   */
  addHost(name: string, agent?: HostAgentOptions): Promise<ClusterHost>;
  /** Stops every agent (wiping their containers), the control plane, etcd, the relay, then removes the LAN. Idempotent. */
  stop(): Promise<void>;
}

const CONTROL_PLANE_HOST = 'controlplane';

export async function startMultiHostCluster(options: MultiHostClusterOptions = {}): Promise<MultiHostCluster> {
  const lan = await createLan(options.subnet === undefined ? {} : { subnet: options.subnet });
  let local: LocalCluster | undefined;
  let forward: NamespacePortForward | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const failures: unknown[] = [];
      const attempt = async (step: (() => Promise<void>) | undefined): Promise<void> => {
        await step?.().catch((error: unknown) => failures.push(error));
      };
      await attempt(local?.stop);
      await attempt(forward?.stop);
      await attempt(() => lan.destroy());
      if (failures.length > 0) throw new AggregateError(failures, `the multi-host cluster was not cleaned up completely: ${failures.map(String).join('; ')}`);
    })());
  try {
    const cpHost = await lan.addHost(CONTROL_PLANE_HOST);
    const grpcAddress = `${cpHost.lanAddress}:${CONTROL_PLANE_PORT}`;
    local = await startLocalCluster({
      netns: cpHost.netns,
      grpcAddress,
      // Inside the namespace: its loopback is its own.
      httpAddress: '127.0.0.1:7401',
      logLevel: options.logLevel,
      controlPlaneArgs: ['--advertise-address', cpHost.lanAddress, ...(options.controlPlaneArgs ?? [])],
    });
    if (options.registry !== undefined) {
      forward = await forwardIntoNamespace({
        netns: cpHost.netns,
        listen: `${cpHost.lanAddress}:${LAN_REGISTRY_PORT}`,
        target: options.registry,
        name: 'registry-relay',
      });
    }
    const cluster = new Cluster(lan, local, cpHost, grpcAddress, forward?.address, options, stop);
    const names = Array.from({ length: options.hosts ?? 3 }, (_, i) => `node-${i + 1}`);
    // One at a time: joins are quick, and a 2-core machine starting three agents at once only makes each slower.
    for (const name of names) await cluster.addHost(name);
    return cluster;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

class Cluster implements MultiHostCluster {
  readonly hosts: ClusterHost[] = [];
  readonly controlPlane: MultiHostControlPlane;

  constructor(
    readonly lan: Lan,
    readonly local: LocalCluster,
    cpHost: LanHost,
    grpcAddress: string,
    readonly registry: string | undefined,
    private readonly options: MultiHostClusterOptions,
    readonly stop: () => Promise<void>,
  ) {
    this.controlPlane = {
      ...onHost(cpHost),
      grpcAddress,
      dataDir: local.dataDir,
      adminKubeconfig: local.adminKubeconfig,
      tokenFile: local.tokenFile,
      get process() {
        return local.controlPlane;
      },
      restart: () => local.restartControlPlane(),
    };
  }

  ctl(args: readonly string[], options: Omit<RunCtlOptions, 'netns'> = {}): Promise<CtlResult> {
    return this.local.ctl(args, options);
  }

  host(name: string): ClusterHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}; the cluster has ${this.hosts.map((h) => h.name).join(', ')}`);
    return host;
  }

  async addHost(name: string, agentOptions: HostAgentOptions = {}): Promise<ClusterHost> {
    const lanHost = await this.lan.addHost(name);
    const merged = { runtime: 'runc' as const, ...this.options.agent, ...agentOptions };
    const agent = await this.local.addAgent({
      ...merged,
      insecureRegistries: [...(this.registry === undefined ? [] : [this.registry]), ...(merged.insecureRegistries ?? [])],
      name,
      netns: lanHost.netns,
      server: this.controlPlane.grpcAddress,
      listen: `${lanHost.lanAddress}:${AGENT_PORT}`,
    });
    const host: ClusterHost = { ...onHost(lanHost), agent };
    this.hosts.push(host);
    return host;
  }
}

function onHost(host: LanHost): MultiHost {
  return {
    name: host.name,
    netns: host.netns,
    lanAddress: host.lanAddress,
    exec: (command, args) => host.exec(command, args),
    run: (command, args, options) => runCommand(command, args, { ...options, netns: host.netns }),
  };
}

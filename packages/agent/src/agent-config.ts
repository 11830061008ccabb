// What a node agent is started with (main.ts reads it from flags; tests build it).
import type { BackoffPolicy, Node } from '@skiff/api/core';
import type { Clock } from './credentials/certificate-renewer.js';
import type { EvictionConfig } from './node-resources.js';
import type { PodEventSink } from './events/pod-events.js';
import type { ClusterDnsConfig, ServiceProxyConfig } from './node-services.js';
import type { Reserved } from './node-allocatable.js';

export interface AgentConfig {
  /** Control-plane addresses (HOST:PORT), the preferred first. */
  readonly servers: readonly string[];
  /** The join token: needed only while the state dir holds no node credentials (and to re-join after a revocation). */
  readonly token?: string;
  readonly nodeName: string;
  /** The agent's cgroups live under /skiff/<cgroupInstance> (default: the node name); agents sharing a host need different ones. */
  readonly cgroupInstance?: string;
  /** host:port of the agent's own gRPC server (logs, exec); port 0 picks one. */
  readonly listen: string;
  readonly stateDir: string;
  readonly runtime: 'runc' | 'process';
  readonly capacity: { cpu?: string; memory?: string; pods?: string };
  readonly labels: Readonly<Record<string, string>>;
  /** Registered with the node the first time it registers. */
  readonly taints: NonNullable<Node['spec']['taints']>;
  readonly insecureRegistries: readonly string[];
  /** Container log rotation (runc driver); default 10 MiB × 5 files. */
  readonly containerLogs?: { readonly maxBytes: number; readonly maxFiles: number };
  /** Image GC: percent of the image disk used that starts a collection (default 85) and the one it stops under (default 80). */
  readonly imageGc?: { readonly highThresholdPercent?: number; readonly lowThresholdPercent?: number };
  readonly restartBackoff: BackoffPolicy;
  readonly resyncMs: number;
  /**
   * The pod network across hosts (runc runtime only): 'vxlan', 'none' (pods reach
   * only pods on this machine's bridge), or 'auto' (default): vxlan unless the node's
   * address is loopback (a dev cluster of agents sharing one bridge).
   */
  readonly overlay?: 'auto' | 'vxlan' | 'none';
  /** Masquerade pod traffic to addresses outside the pod network (installs; never in tests). */
  readonly masqueradeOutside?: boolean;
  /**
   * The node's cluster DNS (runc runtime only: it listens on the pod bridge's gateway). `address`
   * overrides the gateway, `upstreams` the host's resolvers; default on, cluster.local.
   */
  readonly clusterDns?: ClusterDnsConfig;
  /** The nftables service proxy (runc runtime only: it needs the pod network); default on. */
  readonly serviceProxy?: ServiceProxyConfig;
  /** For tests: the clock certificate renewals follow. */
  readonly clock?: Clock;
  /** kubelet's --system-reserved: allocatable = capacity − this. */
  readonly systemReserved?: Reserved;
  /** kubelet's --eviction-hard (runc only: it measures the pods' cgroups); undefined: no eviction. */
  readonly eviction?: EvictionConfig;
  /** Resource metrics (runc only: it reads the pod cgroups): how often the node and its containers are sampled; default 5 s. */
  readonly metricsIntervalMs?: number;
  /** host:port of the agent's plain-HTTP /metrics and /healthz (port 0 picks one); none when absent. */
  readonly httpListen?: string;
  /** Where pod events (Evicted) go; default nowhere. */
  readonly podEvents?: PodEventSink;
}

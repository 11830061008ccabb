// Public face of @skiff/testkit: helpers shared by every package's tests and
// by the cross-process suites in test/.
export { freePort } from './free-port.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { startProcess, type ManagedProcess, type ProcessExit, type StartProcessOptions } from './managed-process.js';
export { startEtcd, type EtcdServer, type StartEtcdOptions } from './etcd.js';
export { ManagedAgent, startControlPlane, startLocalCluster, type AgentNetwork, type StartedControlPlane, type AgentOptions, type LocalAgent, type LocalCluster, type LocalClusterOptions } from './local-cluster.js';
export { runCtl, type CtlResult, type RunCtlOptions } from './run-ctl.js';
export { startCtlOnTerminal, startOnTerminal, type CtlOnTerminal } from './ctl-on-terminal.js';
export { REPO_ROOT, AGENT_MAIN, CONTROLPLANE_MAIN, CTL_MAIN, MANIFESTS_DIR } from './repo-paths.js';
export { startDnsmasq, type RunningDnsmasq, type StartDnsmasqOptions } from './dnsmasq.js';
export { nodeFlagsOf } from './node-flags.js';
export { startRegistry, type RunningRegistry, type StartRegistryOptions } from './registry.js';
export { buildBusyboxImage, BUSYBOX_INDEX_HTML, BUSYBOX_REPOSITORY, type BusyboxImage } from './busybox-image.js';
export { createNamespaceHost, type NamespaceHost, type NamespaceHostOptions } from './network-namespace-host.js';
export { rejectionOf } from './rejection-of.js';
export { skipUnlessRoot, rootSuiteBlocker, type RootRequirement } from './root-suite.js';
export { adminApiClient, adminChannelCredentials, readAdminCredentials, type AdminCredentials } from './admin-client.js';
export { runCommand, type CommandResult, type RunCommandOptions } from './run-command.js';
export { inNetworkNamespace } from './network-namespace-command.js';
export { createLan, LAN_NETWORK, type Lan, type LanHost, type LanOptions } from './lan.js';
export { forwardIntoNamespace, type NamespacePortForward, type NamespacePortForwardOptions } from './namespace-port-forward.js';
export {
  startMultiHostCluster,
  AGENT_PORT,
  CONTROL_PLANE_PORT,
  LAN_REGISTRY_PORT,
  type ClusterHost,
  type HostAgentOptions,
  type MultiHost,
  type MultiHostCluster,
  type MultiHostClusterOptions,
  type MultiHostControlPlane,
} from './multi-host-cluster.js';
export { createProxyTopology, TOPOLOGY_SUBNET, type ProxyPod, type ProxyTopology } from './proxy-topology.js';
export { httpsGet, startEtcdCluster, type EtcdCluster, type EtcdClusterMember, type EtcdTls, type StartEtcdClusterOptions } from './etcd-cluster.js';
export { distributeSharedFiles, startHaCluster, SHARED_CONTROL_PLANE_FILES, type HaCluster, type HaClusterOptions, type HaControlPlane } from './ha-cluster.js';
export { startLeaderCluster, type HaInstance, type Leadership, type LeaderCluster, type LeaderClusterOptions } from './leader-cluster.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

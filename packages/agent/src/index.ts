// @skiff/agent: the node agent.
export { NodeAgent, type AgentConfig, AGENT_VERSION } from './agent.js';
export type { Runtime, ContainerSpec, ContainerState } from './runtime/runtime.js';
export { defaultSeccompProfile, type OciSeccomp } from './runtime/seccomp-profile.js';
export { RegistryImageStore, ImagePullError, pullCredentialsOf, registryGet, type RegistryFetch } from './images/index.js';
export { ApiEventSink, AGENT_EVENT_COMPONENT, type ApiEventSinkOptions, type EventSinkStats } from './events/api-event-sink.js';
export { DISCARD_POD_EVENTS, type PodEvent, type PodEventSink } from './events/pod-events.js';
export {
  ClusterDns,
  ClusterRecords,
  DEFAULT_CLUSTER_DOMAIN,
  type ClusterDnsOptions,
} from './dns/index.js';
export { ServiceProxy, type ProxySync, type ServiceProxyOptions, DEFAULT_SERVICE_CIDR } from './services/service-proxy.js';
export { HostCommands } from './services/nft-applier.js';
export { WatchedServiceCatalog } from './services/watched-service-catalog.js';
export { serviceKey, type ServiceCatalog, type ServiceCatalogView, type ServiceKey } from './services/service-catalog.js';
export { renderFullSync, renderChanges, DEFAULT_TABLE_NAME } from './services/nft-ruleset.js';
export { desiredRules, type ServicePortRules } from './services/proxy-model.js';
export { TestCatalog, testService, testSlice } from './services/test-catalog.js';

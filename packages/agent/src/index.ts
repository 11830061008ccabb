// @skiff/agent: the node agent.
export { NodeAgent, type AgentConfig, AGENT_VERSION } from './agent.js';
export type { Runtime, ContainerSpec, ContainerState } from './runtime/runtime.js';
export { RegistryImageStore, ImagePullError, pullCredentialsOf } from './images/index.js';
export { ApiEventSink, AGENT_EVENT_COMPONENT, type ApiEventSinkOptions, type EventSinkStats } from './events/api-event-sink.js';
export { DISCARD_POD_EVENTS, type PodEvent, type PodEventSink } from './events/pod-events.js';
export {
  ClusterDns,
  ClusterRecords,
  DEFAULT_CLUSTER_DOMAIN,
  type ClusterDnsOptions,
} from './dns/index.js';
export type { ServiceCatalog, ServiceCatalogView, ServiceKey } from './services/service-catalog.js';

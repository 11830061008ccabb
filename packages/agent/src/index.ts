// @skiff/agent: the node agent.
export { NodeAgent, type AgentConfig, AGENT_VERSION } from './agent.js';
export type { Runtime, ContainerSpec, ContainerState } from './runtime/runtime.js';
export { RegistryImageStore, ImagePullError, pullCredentialsOf } from './images/index.js';

// @skiff/api: what ctl, the agent and the control plane share — the proto
// contract, resource kinds and types, quantities, label selectors, and the
// JSON Schemas that decide what a valid manifest is.
export * from './kinds.js';
export * from './types.js';
export * from './proto.js';
export type { ApiClient, ApiHandlers } from './generated/skiff/v1/Api.js';
export type { WatchEvent__Output as WatchEventMessage } from './generated/skiff/v1/WatchEvent.js';

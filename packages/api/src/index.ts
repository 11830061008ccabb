// @skiff/api: what ctl, the agent and the control plane share — the proto
// contract, resource kinds and types, quantities, label selectors, and the
// JSON Schemas that decide what a valid manifest is.
export * from './kinds.js';
export * from './types.js';
export * from './proto.js';
export * from './quantity.js';
export * from './labels.js';
export * from './names.js';
export * from './validate.js';
export { MANIFEST_SCHEMAS, FORMATS, type FormatDefinition, type JsonSchema, type JsonType } from './schema/index.js';
export type { ApiClient, ApiHandlers } from './generated/skiff/v1/Api.js';
export type { WatchEvent as WatchEventMessage, WatchEvent__Output as WatchEventMessageOutput } from './generated/skiff/v1/WatchEvent.js';
export type { WatchRequest__Output as WatchRequestMessage } from './generated/skiff/v1/WatchRequest.js';

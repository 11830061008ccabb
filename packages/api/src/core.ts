// @skiff/api/core: what the agent needs at run time — kinds and types, the
// proto contract and its gRPC clients, quantities, labels, errors, exec
// frames, back-off, CIDRs, join tokens, the rotating TLS provider — without
// what only ctl and the control plane use: the manifest JSON Schemas and
// their validator (ajv), kubeconfig (yaml) and service rules. The agent's
// resident memory is measured (bench:runtime); loading those here would
// cost it megabytes of compiled code it never runs. index.ts re-exports all.
export * from './kinds.js';
export * from './types.js';
export * from './workload-types.js';
export * from './job-types.js';
export * from './metrics-types.js';
export * from './autoscaling-types.js';
export * from './node-taints.js';
export * from './tolerations.js';
export * from './volume-types.js';
export * from './downward-api.js';
export * from './service-types.js';
export * from './probe-types.js';
export * from './events.js';
export * from './proto.js';
export * from './quantity.js';
export * from './labels.js';
export * from './names.js';
export type { ApiClient, ApiHandlers } from './generated/skiff/v1/Api.js';
export type { NodeApiClient, NodeApiHandlers } from './generated/skiff/v1/NodeApi.js';
export type { AgentClient, AgentHandlers } from './generated/skiff/v1/Agent.js';
export type { AssignmentEvent as AssignmentEventMessage, AssignmentEvent__Output as AssignmentEventMessageOutput } from './generated/skiff/v1/AssignmentEvent.js';
export type { WatchAssignmentsRequest__Output as WatchAssignmentsRequestMessage } from './generated/skiff/v1/WatchAssignmentsRequest.js';
export type { LogsRequest__Output as LogsRequestMessage } from './generated/skiff/v1/LogsRequest.js';
export type { LogChunk as LogChunkMessage, LogChunk__Output as LogChunkMessageOutput } from './generated/skiff/v1/LogChunk.js';
export type { GetResourceMetricsResponse as ResourceMetricsMessage, GetResourceMetricsResponse__Output as ResourceMetricsMessageOutput } from './generated/skiff/v1/GetResourceMetricsResponse.js';
export type { PodResourceSample__Output as PodResourceSampleMessage } from './generated/skiff/v1/PodResourceSample.js';
export type { ResourceUsageSample__Output as ResourceUsageSampleMessage } from './generated/skiff/v1/ResourceUsageSample.js';
export type { WatchEvent as WatchEventMessage, WatchEvent__Output as WatchEventMessageOutput } from './generated/skiff/v1/WatchEvent.js';
export type { WatchRequest__Output as WatchRequestMessage } from './generated/skiff/v1/WatchRequest.js';
export * from './cidr.js';
export * from './node-annotations.js';
export * from './errors.js';
export * from './exec-frames.js';
export * from './backoff.js';
export { isRecord, type JsonRecord } from './json-guards.js';
export { DEFAULT_CONTAINER_ANNOTATION, defaultContainerOf, defaultImagePullPolicy, isTerminalPod, toTimestamp } from './pods.js';
export { podQosClass, podResourceTotals, type PodQosClass, type PodResourceTotals } from './pod-qos.js';
export * from './join-token.js';
export type { CanIRequest__Output as CanIRequestMessage } from './generated/skiff/v1/CanIRequest.js';
export * from './identities.js';
export { parseDuration } from './duration.js';
export { RotatingCertificateProvider, type ServingCertificates } from './rotating-certificates.js';
export { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js';
export * from './rbac-types.js';

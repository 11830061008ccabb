// @skiff/api: what ctl, the agent and the control plane share — the proto
// contract, resource kinds and types, quantities, label selectors, and the
// JSON Schemas that decide what a valid manifest is.
export * from './core.js';
export * from './validate.js';
export { MANIFEST_SCHEMAS, FORMATS, type FormatDefinition, type JsonSchema, type JsonType } from './schema/index.js';
export {
  applyPatch,
  JSON_PATCH,
  MERGE_PATCH,
  PATCH_CONTENT_TYPES,
  patchContentType,
  STRATEGIC_MERGE_PATCH,
  UnsupportedPatchTypeError,
  type PatchContentType,
} from './patch/apply-patch.js';
export { strategicMergePatch } from './patch/strategic-merge-patch.js';
export {
  APPLY_PATCH,
  ApplyConflictError,
  fieldSetOf,
  fromFieldsV1,
  serverSideApply,
  toFieldsV1,
  type ApplyConflictCause,
  type ManagedFieldsEntry,
} from './patch/server-side-apply.js';
export {
  definitionName,
  groupVersionPath,
  openApiV3,
  type OpenApiDocument,
  type OpenApiIndex,
  type OpenApiV3,
} from './openapi/openapi-v3.js';
export { patchStrategyTable, type PatchMeta, type PatchTableRow } from './patch/patch-meta.js';
export { isIpv4Address, usesNodePorts } from './service-rules.js';
export { DEFAULT_SESSION_AFFINITY_SECONDS, MAX_SESSION_AFFINITY_SECONDS } from './schema/service.js';
export * from './kubeconfig.js';
export * from './deployments.js';
export * from './daemon-sets.js';
export * from './jobs.js';
export { CronScheduleError, isKnownTimeZone, parseCronSchedule, type CronSchedule } from './cron-schedule.js';
export { MAX_CRONJOB_NAME_LENGTH, MAX_INDEXED_COMPLETIONS } from './job-rules.js';
export { formatAge } from './age.js';
export * from './columns/index.js';

// The schema of each kind a user may apply (and of Event, which node agents
// write through the Api), by kind name.
import type { KindName } from '../kinds.js';
import { configMapSchema } from './config-map.js';
import { daemonSetSchema } from './daemon-set.js';
import { deploymentSchema, replicaSetSchema } from './deployment.js';
import { eventSchema } from './event.js';
import { horizontalPodAutoscalerSchema } from './horizontal-pod-autoscaler.js';
import { cronJobSchema, jobSchema } from './job.js';
import type { JsonSchema } from './json-schema.js';
import { namespaceSchema } from './namespace.js';
import { podSchema } from './pod.js';
import { clusterRoleBindingSchema, roleBindingSchema } from './role-binding.js';
import { clusterRoleSchema, roleSchema } from './role.js';
import { secretSchema } from './secret.js';
import { serviceAccountSchema } from './service-account.js';
import { serviceSchema } from './service.js';

export type { JsonSchema, JsonType } from './json-schema.js';
export { FORMATS, type FormatDefinition } from './formats.js';

export const MANIFEST_SCHEMAS: Readonly<Partial<Record<KindName, JsonSchema>>> = {
  Namespace: namespaceSchema,
  Pod: podSchema,
  Deployment: deploymentSchema,
  ReplicaSet: replicaSetSchema,
  DaemonSet: daemonSetSchema,
  HorizontalPodAutoscaler: horizontalPodAutoscalerSchema,
  Job: jobSchema,
  CronJob: cronJobSchema,
  Service: serviceSchema,
  ConfigMap: configMapSchema,
  Secret: secretSchema,
  ServiceAccount: serviceAccountSchema,
  Role: roleSchema,
  ClusterRole: clusterRoleSchema,
  RoleBinding: roleBindingSchema,
  ClusterRoleBinding: clusterRoleBindingSchema,
  // Written by node agents through the Api (componentWritable), never applied by users.
  Event: eventSchema,
};

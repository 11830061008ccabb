// Rules between fields that JSON Schema cannot state: uniqueness, requests
// against limits, a Deployment's selector against its template. They walk
// the document defensively because they run even when the schema found
// errors, so a user sees every problem in one pass.
import type { PathSegment } from './field-path.js';
import { isIP } from 'node:net';
import { arrayAt, isRecord, recordAt, stringAt, stringMapAt, type JsonRecord } from './json-guards.js';
import type { KindName } from './kinds.js';
import { selectorFromLabelSelector, type Selector } from './labels.js';
import { compareQuantities, parseQuantity } from './quantity.js';
import { checkContainerProbes } from './probe-rules.js';
import { checkService } from './service-rules.js';
import { checkHorizontalPodAutoscaler } from './autoscaling-rules.js';
import { checkAggregationSelectors, checkPolicyRules, checkSubjects } from './rbac-rules.js';
import type { LabelSelector } from './types.js';
import type { RawIssue } from './schema-validator.js';
import { checkVolumeRules } from './volume-rules.js';
import { checkCronJob, checkJobSpec } from './job-rules.js';

/** Kubernetes' limit on a ConfigMap's or Secret's payload. */
export const MAX_DATA_BYTES = 1024 * 1024;

type Report = (segments: readonly PathSegment[], message: string) => void;

export function checkManifestRules(kind: KindName, doc: JsonRecord): RawIssue[] {
  const issues: RawIssue[] = [];
  const report: Report = (segments, message) => issues.push({ segments, message });
  switch (kind) {
    case 'Pod':
      checkPodSpec(recordAt(doc, 'spec'), ['spec'], report);
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      checkDeployment(recordAt(doc, 'spec'), report, kind);
      break;
    case 'Job': {
      const spec = recordAt(doc, 'spec');
      checkPodSpec(recordAt(recordAt(spec, 'template'), 'spec'), ['spec', 'template', 'spec'], report);
      checkJobSpec(spec, ['spec'], report);
      break;
    }
    case 'CronJob': {
      const jobSpec = recordAt(recordAt(recordAt(doc, 'spec'), 'jobTemplate'), 'spec');
      checkPodSpec(recordAt(recordAt(jobSpec, 'template'), 'spec'), ['spec', 'jobTemplate', 'spec', 'template', 'spec'], report);
      checkCronJob(doc, report);
      break;
    }
    case 'Service':
      checkService(recordAt(doc, 'spec'), report);
      break;
    case 'HorizontalPodAutoscaler':
      checkHorizontalPodAutoscaler(recordAt(doc, 'spec'), report);
      break;
    case 'ConfigMap':
      checkConfigMap(doc, report);
      break;
    case 'Secret':
      checkSecret(doc, report);
      break;
    case 'Role':
      checkPolicyRules(doc, true, report);
      break;
    case 'ClusterRole':
      checkPolicyRules(doc, false, report);
      checkAggregationSelectors(doc, report);
      arrayAt(recordAt(doc, 'aggregationRule'), 'clusterRoleSelectors').forEach((selector, i) =>
        checkExpressionValues(selector, ['aggregationRule', 'clusterRoleSelectors', i], report),
      );
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      checkSubjects(doc, kind === 'ClusterRoleBinding', report);
      break;
    default:
      break;
  }
  return issues;
}

function checkPodSpec(spec: JsonRecord | undefined, at: readonly PathSegment[], report: Report): void {
  if (!spec) return;
  const containerNames = new Set<string>();
  const portNames = new Set<string>();
  const containers = arrayAt(spec, 'containers').map((container, i) => ({ container, here: [...at, 'containers', i] }));
  const inits = arrayAt(spec, 'initContainers').map((container, i) => ({ container, here: [...at, 'initContainers', i] }));
  for (const { container, here } of inits) {
    // As Kubernetes: an init container runs to completion, so it has nothing to probe and no lifecycle hooks.
    for (const field of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) {
      if (isRecord(container) && container[field] !== undefined) report([...here, field], 'may not be set for init containers');
    }
  }
  // Names are unique across containers and initContainers: logs, exec and statuses name them alike.
  [...containers, ...inits].forEach(({ container, here }) => {
    const name = stringAt(container, 'name');
    if (name !== undefined) {
      if (containerNames.has(name)) report([...here, 'name'], `duplicate container name ${JSON.stringify(name)}`);
      containerNames.add(name);
    }
    // Port names are unique across the pod, not per container: a Service's targetPort names one.
    arrayAt(container, 'ports').forEach((port, j) => {
      const portName = stringAt(port, 'name');
      if (portName === undefined) return;
      if (portNames.has(portName)) report([...here, 'ports', j, 'name'], `duplicate port name ${JSON.stringify(portName)}`);
      portNames.add(portName);
    });
    arrayAt(container, 'env').forEach((env, j) => checkEnvVar(env, [...here, 'env', j], report));
    checkResources(recordAt(container, 'resources'), [...here, 'resources'], report);
    checkContainerProbes(container, here, report);
  });
  arrayAt(spec, 'tolerations').forEach((t, i) => checkToleration(t, [...at, 'tolerations', i], report));
  checkDnsConfig(spec, at, report);
  checkVolumeRules(spec, at, report);
}

function checkEnvVar(env: unknown, at: readonly PathSegment[], report: Report): void {
  const valueFrom = recordAt(env, 'valueFrom');
  if (!valueFrom) return;
  const value = stringAt(env, 'value');
  if (value !== undefined && value !== '') {
    report([...at, 'valueFrom'], 'may not be specified when value is set');
  }
  const sources = ['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef'].filter((k) => valueFrom[k] !== undefined);
  if (sources.length !== 1) {
    report([...at, 'valueFrom'], 'must specify exactly one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef');
  }
}

function checkResources(resources: JsonRecord | undefined, at: readonly PathSegment[], report: Report): void {
  const requests = recordAt(resources, 'requests');
  const limits = recordAt(resources, 'limits');
  // The schema's format checks strings only; a YAML number (`cpu: 1e300`) is
  // checked here, in the string form the defaults gave it and the server stores.
  for (const [list, values] of [['requests', requests], ['limits', limits]] as const) {
    for (const [name, value] of Object.entries(values ?? {})) {
      if (typeof value === 'string' && !parseQuantity(value)) report([...at, list, name], 'must be a quantity like 250m or 128Mi');
    }
  }
  if (!requests || !limits) return;
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if ((typeof request !== 'string' && typeof request !== 'number') || (typeof limit !== 'string' && typeof limit !== 'number')) continue;
    if (!parseQuantity(request) || !parseQuantity(limit)) continue;
    if (compareQuantities(request, limit) > 0) {
      report([...at, 'requests', name], `must be less than or equal to the ${name} limit ${String(limit)}`);
    }
  }
}

function checkToleration(toleration: unknown, at: readonly PathSegment[], report: Report): void {
  if (!isRecord(toleration)) return;
  const key = stringAt(toleration, 'key') ?? '';
  const operator = stringAt(toleration, 'operator') ?? 'Equal';
  if (key === '' && operator !== 'Exists') report([...at, 'operator'], 'must be Exists when key is empty');
  if (operator === 'Exists' && (stringAt(toleration, 'value') ?? '') !== '') {
    report([...at, 'value'], 'must be empty when operator is Exists');
  }
  if (toleration['tolerationSeconds'] !== undefined && toleration['effect'] !== 'NoExecute') {
    report([...at, 'tolerationSeconds'], 'may only be set when effect is NoExecute');
  }
}

function checkDeployment(spec: JsonRecord | undefined, report: Report, kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet'): void {
  if (!spec) return;
  const template = recordAt(spec, 'template');
  const podSpec = recordAt(template, 'spec');
  checkPodSpec(podSpec, ['spec', 'template', 'spec'], report);
  const restartPolicy = stringAt(podSpec, 'restartPolicy');
  if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    report(['spec', 'template', 'spec', 'restartPolicy'], `must be Always for a ${kind}`);
  }
  // Without a template there is nothing to match against; its absence is reported by the schema.
  if (template) checkSelector(recordAt(spec, 'selector'), stringMapAt(recordAt(template, 'metadata'), 'labels'), report, kind);
  if (kind === 'Deployment') checkStrategy(recordAt(spec, 'strategy'), report);
  if (kind === 'DaemonSet') checkDaemonSetStrategy(recordAt(spec, 'updateStrategy'), report);
}

function checkSelector(
  selector: JsonRecord | undefined,
  templateLabels: Record<string, string> | undefined,
  report: Report,
  kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet',
): void {
  if (!selector) return;
  if (!checkExpressionValues(selector, ['spec', 'selector'], report)) return;
  let compiled: Selector;
  try {
    compiled = selectorFromLabelSelector(selector as LabelSelector);
  } catch {
    return; // the schema has already reported what makes it invalid
  }
  if (compiled.isEmpty()) {
    report(['spec', 'selector'], `must not be empty: a ${kind} selects its pods by label (set matchLabels)`);
  } else if (!compiled.matches(templateLabels ?? {})) {
    report(
      ['spec', 'selector'],
      `selector does not match template labels: ${JSON.stringify(compiled.toString())} does not select ${JSON.stringify(templateLabels ?? {})}`,
    );
  }
}

/** A LabelSelector's matchExpressions: values as their operators demand. False when one is wrong. */
function checkExpressionValues(selector: unknown, at: readonly PathSegment[], report: Report): boolean {
  let valid = true;
  arrayAt(selector, 'matchExpressions').forEach((expr, i) => {
    const operator = stringAt(expr, 'operator');
    const values = isRecord(expr) ? expr['values'] : undefined;
    const count = Array.isArray(values) ? values.length : 0;
    const here = [...at, 'matchExpressions', i, 'values'];
    if ((operator === 'In' || operator === 'NotIn') && count === 0) {
      report(here, `must not be empty when operator is ${operator}`);
      valid = false;
    } else if ((operator === 'Exists' || operator === 'DoesNotExist') && count > 0) {
      report(here, `must be empty when operator is ${operator}`);
      valid = false;
    }
  });
  return valid;
}

function checkStrategy(strategy: JsonRecord | undefined, report: Report): void {
  if (!strategy) return;
  const rolling = recordAt(strategy, 'rollingUpdate');
  if (strategy['type'] === 'Recreate' && strategy['rollingUpdate'] !== undefined) {
    report(['spec', 'strategy', 'rollingUpdate'], 'may not be specified when strategy type is Recreate');
    return;
  }
  if (!rolling) return;
  const at = ['spec', 'strategy', 'rollingUpdate'];
  const unavailable = rolling['maxUnavailable'];
  if (typeof unavailable === 'string' && /^\d+%$/.test(unavailable) && parseInt(unavailable, 10) > 100) {
    report([...at, 'maxUnavailable'], 'must not be greater than 100%');
  }
  if (isZero(rolling['maxSurge']) && isZero(unavailable)) {
    report([...at, 'maxUnavailable'], 'may not be 0 when maxSurge is 0 (the rollout could never make progress)');
  }
}

/** Kubernetes' ValidateRollingUpdateDaemonSet: percentages at most 100%, and one of the two must be positive. */
function checkDaemonSetStrategy(strategy: JsonRecord | undefined, report: Report): void {
  if (!strategy) return;
  const at = ['spec', 'updateStrategy', 'rollingUpdate'];
  if (strategy['type'] === 'OnDelete' && strategy['rollingUpdate'] !== undefined) {
    report(at, 'may not be specified when updateStrategy type is OnDelete');
    return;
  }
  const rolling = recordAt(strategy, 'rollingUpdate');
  if (!rolling) return;
  for (const field of ['maxUnavailable', 'maxSurge']) {
    const value = rolling[field];
    if (typeof value === 'string' && /^\d+%$/.test(value) && parseInt(value, 10) > 100) report([...at, field], 'must not be greater than 100%');
  }
  // Skiff's DaemonSet controller replaces a node's pod by deleting the old one first: a surge would be accepted and ignored.
  if (rolling['maxSurge'] !== undefined && !isZero(rolling['maxSurge'])) {
    report([...at, 'maxSurge'], 'must be 0: Skiff replaces a daemon pod only after deleting the old one (set maxUnavailable instead)');
  } else if (isZero(rolling['maxUnavailable'])) {
    report([...at, 'maxUnavailable'], 'may not be 0 when maxSurge is 0 (the update could never make progress)');
  }
}

function isZero(value: unknown): boolean {
  return value === 0 || (typeof value === 'string' && /^0+%$/.test(value));
}

function checkConfigMap(doc: JsonRecord, report: Report): void {
  const data = recordAt(doc, 'data') ?? {};
  const binary = recordAt(doc, 'binaryData') ?? {};
  for (const key of Object.keys(binary)) {
    if (Object.hasOwn(data, key)) report(['binaryData', key], `key ${JSON.stringify(key)} is also in data; a key may appear in only one of them`);
  }
  checkDataSize(textBytes(data) + base64Bytes(binary), report);
}

const REQUIRED_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/** Runs after stringData has been folded into data. */
function checkSecret(doc: JsonRecord, report: Report): void {
  const data = recordAt(doc, 'data') ?? {};
  const type = stringAt(doc, 'type') ?? 'Opaque';
  for (const key of REQUIRED_SECRET_KEYS[type] ?? []) {
    if (!Object.hasOwn(data, key)) report(['data', key], `is required for a Secret of type ${type}`);
  }
  checkDataSize(base64Bytes(data), report);
}

function textBytes(map: JsonRecord): number {
  let total = 0;
  for (const [key, value] of Object.entries(map)) {
    total += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  return total;
}

function base64Bytes(map: JsonRecord): number {
  let total = 0;
  for (const [key, value] of Object.entries(map)) {
    total += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.from(value, 'base64').length : 0);
  }
  return total;
}

function checkDataSize(bytes: number, report: Report): void {
  if (bytes > MAX_DATA_BYTES) {
    report(['data'], `total size of the data is ${(bytes / MAX_DATA_BYTES).toFixed(1)} MiB; it must be at most 1 MiB`);
  }
}

/** As Kubernetes: dnsPolicy None needs a nameserver; nameservers are IP addresses; at most 3 of them, 32 searches. */
function checkDnsConfig(spec: JsonRecord, at: readonly PathSegment[], report: Report): void {
  const config = recordAt(spec, 'dnsConfig');
  const nameservers = arrayAt(config, 'nameservers');
  if (stringAt(spec, 'dnsPolicy') === 'None' && nameservers.length === 0) {
    report([...at, 'dnsConfig', 'nameservers'], 'must provide at least one DNS nameserver when dnsPolicy is None');
  }
  nameservers.forEach((server, i) => {
    if (typeof server === 'string' && isIP(server) === 0) report([...at, 'dnsConfig', 'nameservers', i], `must be a valid IP address, not ${JSON.stringify(server)}`);
  });
}

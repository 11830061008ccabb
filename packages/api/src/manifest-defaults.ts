// The defaults a JSON Schema `default` cannot express, because they depend on
// other fields. Applied in place to the validator's own copy.
import { isRecord, recordAt, type JsonRecord } from './json-guards.js';
import { defaultHorizontalPodAutoscaler } from './autoscaling-rules.js';
import type { KindName } from './kinds.js';
import { defaultImagePullPolicy } from './pods.js';
import { defaultSubjects } from './rbac-rules.js';
import { defaultService } from './service-rules.js';

export function applyManifestDefaults(kind: KindName, doc: JsonRecord): void {
  switch (kind) {
    case 'Pod':
      defaultPodSpec(recordAt(doc, 'spec'));
      break;
    case 'Deployment': {
      const spec = recordAt(doc, 'spec');
      defaultPodSpec(recordAt(recordAt(spec, 'template'), 'spec'));
      defaultStrategy(recordAt(spec, 'strategy'));
      break;
    }
    case 'ReplicaSet':
      defaultPodSpec(recordAt(recordAt(recordAt(doc, 'spec'), 'template'), 'spec'));
      break;
    case 'DaemonSet': {
      const spec = recordAt(doc, 'spec');
      defaultPodSpec(recordAt(recordAt(spec, 'template'), 'spec'));
      defaultDaemonSetStrategy(recordAt(spec, 'updateStrategy'));
      break;
    }
    case 'Job':
      defaultJobSpec(recordAt(doc, 'spec'));
      break;
    case 'CronJob':
      defaultJobSpec(recordAt(recordAt(recordAt(doc, 'spec'), 'jobTemplate'), 'spec'));
      break;
    case 'Service':
      defaultService(recordAt(doc, 'spec'));
      break;
    case 'HorizontalPodAutoscaler':
      defaultHorizontalPodAutoscaler(recordAt(doc, 'spec'));
      break;
    case 'Secret':
      foldStringData(doc);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      defaultSubjects(doc);
      break;
    default:
      break;
  }
}

/** Kubernetes: neither completions nor parallelism set means one pod that must succeed once. */
function defaultJobSpec(spec: JsonRecord | undefined): void {
  if (!spec) return;
  defaultPodSpec(recordAt(recordAt(spec, 'template'), 'spec'));
  if (spec['completions'] === undefined && spec['parallelism'] === undefined) spec['completions'] = 1;
  if (spec['parallelism'] === undefined) spec['parallelism'] = 1;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function defaultPodSpec(spec: JsonRecord | undefined): void {
  for (const container of arrayOf(spec?.['containers'])) {
    if (isRecord(container) && container['imagePullPolicy'] === undefined && typeof container['image'] === 'string') {
      container['imagePullPolicy'] = defaultImagePullPolicy(container['image']);
    }
    const resources = recordAt(container, 'resources');
    if (!resources) continue;
    const limits = recordAt(resources, 'limits');
    let requests = recordAt(resources, 'requests');
    for (const list of [limits, requests]) {
      // types.ts promises strings: `cpu: 1` in YAML is a number until here.
      if (list) for (const [name, value] of Object.entries(list)) if (typeof value === 'number') list[name] = String(value);
    }
    // As in Kubernetes: a limit without a request requests the limit, so the
    // scheduler reserves what the container may use.
    if (limits && Object.keys(limits).length > 0) {
      if (!requests) {
        requests = {};
        resources['requests'] = requests;
      }
      for (const [name, value] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = value;
    }
  }
}

function defaultStrategy(strategy: JsonRecord | undefined): void {
  if (!strategy || strategy['type'] !== 'RollingUpdate') return;
  let rolling = recordAt(strategy, 'rollingUpdate');
  if (!rolling) {
    if (strategy['rollingUpdate'] !== undefined) return;
    rolling = {};
    strategy['rollingUpdate'] = rolling;
  }
  if (rolling['maxSurge'] === undefined) rolling['maxSurge'] = '25%';
  if (rolling['maxUnavailable'] === undefined) rolling['maxUnavailable'] = '25%';
}

/** Kubernetes' SetDefaults_DaemonSet: a RollingUpdate moves one node at a time, without surge. */
function defaultDaemonSetStrategy(strategy: JsonRecord | undefined): void {
  if (!strategy || strategy['type'] !== 'RollingUpdate') return;
  let rolling = recordAt(strategy, 'rollingUpdate');
  if (!rolling) {
    if (strategy['rollingUpdate'] !== undefined) return;
    rolling = {};
    strategy['rollingUpdate'] = rolling;
  }
  if (rolling['maxUnavailable'] === undefined) rolling['maxUnavailable'] = 1;
  if (rolling['maxSurge'] === undefined) rolling['maxSurge'] = 0;
}

/** stringData wins over data for the same key, as in Kubernetes. */
function foldStringData(doc: JsonRecord): void {
  const stringData = recordAt(doc, 'stringData');
  if (!stringData) return;
  const existing = doc['data'];
  if (existing !== undefined && !isRecord(existing)) return;
  const data: JsonRecord = existing ?? {};
  for (const [key, value] of Object.entries(stringData)) {
    if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  doc['data'] = data;
  delete doc['stringData'];
}

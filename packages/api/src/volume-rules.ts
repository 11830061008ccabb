// Rules of a pod's volumes, mounts and env sources that JSON Schema cannot
// state, as Kubernetes' validation has them: one source per volume, unique
// volume names, mounts naming a volume of the pod (at a unique absolute
// path, subPath inside it), file paths without "..", fieldPaths the downward
// API knows, resource divisors it accepts. Like manifest-rules.ts they walk
// the document defensively (they run even when the schema found errors).
import { CPU_DIVISORS, ENV_FIELD_PATHS, fieldPathSubscript, MEMORY_DIVISORS, VOLUME_FIELD_PATHS } from './downward-api.js';
import type { PathSegment } from './field-path.js';
import { arrayAt, isRecord, recordAt, stringAt, type JsonRecord } from './json-guards.js';
import { isEnvVarName } from './names.js';
import { compareQuantities, parseQuantity } from './quantity.js';
import { VOLUME_SOURCES } from './volume-types.js';

type Report = (segments: readonly PathSegment[], message: string) => void;

const CONTAINER_LISTS = ['initContainers', 'containers'] as const;

/** Every rule of volumes, volumeMounts, envFrom and env valueFrom in a pod spec at `at`. */
export function checkVolumeRules(spec: JsonRecord, at: readonly PathSegment[], report: Report): void {
  const volumes = new Set<string>();
  arrayAt(spec, 'volumes').forEach((volume, i) => {
    const here = [...at, 'volumes', i];
    const name = stringAt(volume, 'name');
    if (name !== undefined) {
      if (volumes.has(name)) report([...here, 'name'], `duplicate volume name ${JSON.stringify(name)}`);
      volumes.add(name);
    }
    checkVolume(volume, here, containerNames(spec), report);
  });
  for (const list of CONTAINER_LISTS) {
    arrayAt(spec, list).forEach((container, i) => {
      const here = [...at, list, i];
      checkMounts(container, here, volumes, report);
      arrayAt(container, 'envFrom').forEach((source, j) => checkEnvFrom(source, [...here, 'envFrom', j], report));
      arrayAt(container, 'env').forEach((env, j) => {
        const from = recordAt(env, 'valueFrom');
        if (from) checkEnvSource(from, [...here, 'env', j, 'valueFrom'], containerNames(spec), report);
      });
    });
  }
}

function containerNames(spec: JsonRecord): Set<string> {
  const names = new Set<string>();
  for (const list of CONTAINER_LISTS) for (const c of arrayAt(spec, list)) if (stringAt(c, 'name')) names.add(stringAt(c, 'name') ?? '');
  return names;
}

function checkVolume(volume: unknown, at: readonly PathSegment[], containers: Set<string>, report: Report): void {
  if (!isRecord(volume)) return;
  const sources = VOLUME_SOURCES.filter((source) => volume[source] !== undefined);
  if (sources.length === 0) report(at, `must specify a volume type: one of ${VOLUME_SOURCES.join(', ')}`);
  if (sources.length > 1) report([...at, sources[1] ?? ''], `may not specify more than 1 volume type (also has ${sources[0] ?? ''})`);
  const paths = new Set<string>();
  const filePath = (value: unknown, where: readonly PathSegment[]): void => {
    if (typeof value !== 'string') return;
    const problem = localPathProblem(value);
    if (problem) report(where, problem);
    else if (paths.has(value)) report(where, `conflicting path ${JSON.stringify(value)}: another file of this volume is written there`);
    paths.add(value);
  };
  for (const source of ['configMap', 'secret'] as const) {
    arrayAt(recordAt(volume, source), 'items').forEach((item, i) => filePath(stringAt(item, 'path'), [...at, source, 'items', i, 'path']));
  }
  arrayAt(recordAt(volume, 'downwardAPI'), 'items').forEach((item, i) => {
    filePath(stringAt(item, 'path'), [...at, 'downwardAPI', 'items', i, 'path']);
    checkDownwardFile(item, [...at, 'downwardAPI', 'items', i], containers, report);
  });
  arrayAt(recordAt(volume, 'projected'), 'sources').forEach((source, i) => {
    const here = [...at, 'projected', 'sources', i];
    if (!isRecord(source)) return;
    const kinds = ['configMap', 'secret', 'downwardAPI', 'serviceAccountToken'].filter((k) => source[k] !== undefined);
    if (kinds.length !== 1) report(here, 'must specify exactly one of configMap, secret, downwardAPI or serviceAccountToken');
    for (const kind of ['configMap', 'secret'] as const) {
      arrayAt(recordAt(source, kind), 'items').forEach((item, j) => filePath(stringAt(item, 'path'), [...here, kind, 'items', j, 'path']));
    }
    arrayAt(recordAt(source, 'downwardAPI'), 'items').forEach((item, j) => {
      filePath(stringAt(item, 'path'), [...here, 'downwardAPI', 'items', j, 'path']);
      checkDownwardFile(item, [...here, 'downwardAPI', 'items', j], containers, report);
    });
    const token = recordAt(source, 'serviceAccountToken');
    if (token) filePath(stringAt(token, 'path'), [...here, 'serviceAccountToken', 'path']);
  });
  const hostPath = stringAt(recordAt(volume, 'hostPath'), 'path');
  if (hostPath !== undefined) {
    if (!hostPath.startsWith('/')) report([...at, 'hostPath', 'path'], 'must be an absolute path');
    else if (hostPath.split('/').includes('..')) report([...at, 'hostPath', 'path'], "must not contain '..'");
  }
}

function checkDownwardFile(item: unknown, at: readonly PathSegment[], containers: Set<string>, report: Report): void {
  if (!isRecord(item)) return;
  const field = recordAt(item, 'fieldRef');
  const resource = recordAt(item, 'resourceFieldRef');
  if ((field ? 1 : 0) + (resource ? 1 : 0) !== 1) report(at, 'must specify exactly one of fieldRef or resourceFieldRef');
  const path = stringAt(field, 'fieldPath');
  if (path !== undefined && !VOLUME_FIELD_PATHS.includes(path) && !fieldPathSubscript(path)) {
    report([...at, 'fieldRef', 'fieldPath'], `unsupported fieldPath ${JSON.stringify(path)} in a volume: supported are ${[...VOLUME_FIELD_PATHS, "metadata.labels['<key>']", "metadata.annotations['<key>']"].join(', ')}`);
  }
  if (resource) {
    if (stringAt(resource, 'containerName') === undefined) report([...at, 'resourceFieldRef', 'containerName'], 'is required in a volume');
    checkResourceField(resource, [...at, 'resourceFieldRef'], containers, report);
  }
}

function checkResourceField(ref: JsonRecord, at: readonly PathSegment[], containers: Set<string>, report: Report): void {
  const container = stringAt(ref, 'containerName');
  if (container !== undefined && !containers.has(container)) report([...at, 'containerName'], `no container ${JSON.stringify(container)} in this pod`);
  const resource = stringAt(ref, 'resource') ?? '';
  const divisor = ref['divisor'];
  if (divisor === undefined || (typeof divisor !== 'string' && typeof divisor !== 'number') || !parseQuantity(divisor)) return;
  const allowed = resource.endsWith('.cpu') ? CPU_DIVISORS : MEMORY_DIVISORS;
  if (!allowed.some((d) => compareQuantities(d, divisor) === 0)) {
    report([...at, 'divisor'], `must be one of ${allowed.join(', ')} for ${resource || 'this resource'}`);
  }
}

function checkEnvSource(from: JsonRecord, at: readonly PathSegment[], containers: Set<string>, report: Report): void {
  const path = stringAt(recordAt(from, 'fieldRef'), 'fieldPath');
  if (path !== undefined && !ENV_FIELD_PATHS.includes(path) && !fieldPathSubscript(path)) {
    report([...at, 'fieldRef', 'fieldPath'], `unsupported fieldPath ${JSON.stringify(path)}: supported are ${[...ENV_FIELD_PATHS, "metadata.labels['<key>']", "metadata.annotations['<key>']"].join(', ')}`);
  }
  const resource = recordAt(from, 'resourceFieldRef');
  if (resource) checkResourceField(resource, [...at, 'resourceFieldRef'], containers, report);
}

function checkEnvFrom(source: unknown, at: readonly PathSegment[], report: Report): void {
  if (!isRecord(source)) return;
  const refs = ['configMapRef', 'secretRef'].filter((k) => source[k] !== undefined);
  if (refs.length !== 1) report(at, 'must specify exactly one of configMapRef or secretRef');
  const prefix = stringAt(source, 'prefix');
  if (prefix !== undefined && prefix !== '' && !isEnvVarName(prefix)) {
    report([...at, 'prefix'], 'must be an environment variable name (A-Z, a-z, 0-9, "_", "-" and ".", not starting with a digit)');
  }
}

function checkMounts(container: unknown, at: readonly PathSegment[], volumes: Set<string>, report: Report): void {
  const paths = new Set<string>();
  arrayAt(container, 'volumeMounts').forEach((mount, i) => {
    const here = [...at, 'volumeMounts', i];
    const name = stringAt(mount, 'name');
    if (name !== undefined && !volumes.has(name)) report([...here, 'name'], `not found: no volume ${JSON.stringify(name)} in spec.volumes`);
    const mountPath = stringAt(mount, 'mountPath');
    if (mountPath !== undefined) {
      if (!mountPath.startsWith('/')) report([...here, 'mountPath'], 'must be an absolute path');
      else if (mountPath.split('/').includes('..')) report([...here, 'mountPath'], "must not contain '..'");
      const normal = mountPath.replace(/\/+$/, '') || '/';
      if (paths.has(normal)) report([...here, 'mountPath'], `must be unique: ${JSON.stringify(mountPath)} is mounted twice`);
      paths.add(normal);
    }
    const subPath = stringAt(mount, 'subPath');
    if (subPath !== undefined && subPath !== '') {
      if (subPath.startsWith('/')) report([...here, 'subPath'], 'must be a relative path');
      else if (subPath.split('/').includes('..')) report([...here, 'subPath'], "must not contain '..'");
    }
  });
}

/** Kubernetes' validateLocalNonReservedPath: relative, no ".." element, not starting with "..". */
export function localPathProblem(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.startsWith('/')) return 'must be a relative path';
  if (path.split('/').includes('..')) return "must not contain '..'";
  if (path.startsWith('..')) return "must not start with '..'";
  return undefined;
}

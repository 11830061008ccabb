// Kubernetes' discovery documents, built from Skiff's kind table: /version,
// /api and /apis (which group-versions exist), and one APIResourceList per
// group-version (which resources, their verbs, short names, categories and
// subresources). kubectl reads these to turn `get po` into a URL. Aggregated
// discovery (apidiscovery.k8s.io/v2) is not served: kubectl asks for it first
// and falls back to these documents when the server answers plain JSON.
import { allCategoryKinds, KINDS, type KindInfo } from '@skiff/api';
import type { Verb } from '../auth/index.js';
import { groupOf, versionOf } from './request-info.js';
import { AUTHORIZATION_GROUP_VERSION } from './access-review.js';

export interface ApiResource {
  readonly name: string;
  readonly singularName: string;
  readonly namespaced: boolean;
  readonly group?: string;
  readonly version?: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

export interface ApiResourceList {
  readonly kind: 'APIResourceList';
  readonly apiVersion: 'v1';
  readonly groupVersion: string;
  readonly resources: readonly ApiResource[];
}

/** The Kubernetes release whose API Skiff's kinds follow (kubectl warns beyond one minor version of skew). */
export const KUBERNETES_VERSION = { major: '1', minor: '32' } as const;

const READ: readonly Verb[] = ['get', 'list', 'watch'];
const WRITE: readonly Verb[] = ['create', 'update', 'patch'];
const ALL_CATEGORY = new Set(allCategoryKinds().map((info) => info.kind));

/** The subresources the REST door serves, by kind, with their verbs (and the kind they speak, if not the parent's). */
export const SUBRESOURCES: ReadonlyMap<string, readonly { name: string; verbs: readonly Verb[]; group?: string; version?: string; kind?: string }[]> = new Map([
  ['Pod', [{ name: 'status', verbs: ['get'] }, { name: 'log', verbs: ['get'] }, { name: 'exec', verbs: ['create', 'get'], kind: 'PodExecOptions' }]],
  ['Deployment', [{ name: 'status', verbs: ['get'] }, { name: 'scale', verbs: ['get', 'update', 'patch'], group: 'autoscaling', version: 'v1', kind: 'Scale' }]],
  ['ReplicaSet', [{ name: 'status', verbs: ['get'] }, { name: 'scale', verbs: ['get', 'update', 'patch'], group: 'autoscaling', version: 'v1', kind: 'Scale' }]],
]);

/** What may be done to a kind over REST: reads for all; writes for what users (or Skiff's components) apply; delete for all, deletecollection for all but namespaces. */
export function verbsOf(info: KindInfo): Verb[] {
  const writable = info.userWritable || info.componentWritable === true;
  const deletes: Verb[] = info.kind === 'Namespace' ? ['delete'] : ['delete', 'deletecollection'];
  return ([...READ, ...(writable ? WRITE : []), ...deletes] as Verb[]).sort();
}

/** Resources that are no stored kind: reviews answered by the authorizer. */
const VIRTUAL_RESOURCES: ReadonlyMap<string, readonly ApiResource[]> = new Map([
  [AUTHORIZATION_GROUP_VERSION, [{ name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] }]],
]);

function resourcesOf(groupVersion: string): ApiResource[] {
  const virtual = VIRTUAL_RESOURCES.get(groupVersion);
  if (virtual) return [...virtual];
  return KINDS.filter((info) => info.apiVersion === groupVersion).flatMap((info) => {
    const main: ApiResource = {
      name: info.plural,
      singularName: info.kind.toLowerCase(),
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: verbsOf(info),
      ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
      ...(ALL_CATEGORY.has(info.kind) ? { categories: ['all'] } : {}),
    };
    const subresources = (SUBRESOURCES.get(info.kind) ?? []).map(
      (sub): ApiResource => ({
        name: `${info.plural}/${sub.name}`,
        singularName: '',
        namespaced: info.namespaced,
        ...(sub.group !== undefined ? { group: sub.group, version: sub.version ?? 'v1' } : {}),
        kind: sub.kind ?? info.kind,
        verbs: sub.verbs,
      }),
    );
    return [main, ...subresources];
  });
}

/** Every group-version of Skiff's kinds, the core "v1" first, as `/apis` lists them. */
function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const info of KINDS) seen.set(info.apiVersion, { group: groupOf(info), version: versionOf(info) });
  for (const groupVersion of VIRTUAL_RESOURCES.keys()) {
    const [group = '', version = ''] = groupVersion.split('/');
    seen.set(groupVersion, { group, version });
  }
  return [...seen.values()];
}

/** The discovery document at `pathname`, or undefined when it is not a discovery path. */
export function discoveryDocument(pathname: string, serverAddress: string): object | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/version') {
    return {
      ...KUBERNETES_VERSION,
      gitVersion: `v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.0-skiff`,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '',
      goVersion: '',
      compiler: 'skiff',
      platform: `${process.platform}/${process.arch}`,
    };
  }
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  if (path === '/apis') {
    const groups = new Map<string, string[]>();
    for (const { group, version } of groupVersions()) if (group) groups.set(group, [...(groups.get(group) ?? []), version]);
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
    };
  }
  if (path === '/api/v1') return resourceList('v1');
  const match = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!match?.[1]) return undefined;
  const [, group, version] = match;
  const versions = groupVersions().filter((gv) => gv.group === group).map((gv) => gv.version);
  if (versions.length === 0) return undefined;
  if (version === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
  return versions.includes(version) ? resourceList(`${group}/${version}`) : undefined;
}

function apiGroup(name: string, versions: readonly string[]) {
  const listed = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: listed, preferredVersion: listed[0] };
}

function resourceList(groupVersion: string): ApiResourceList {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: resourcesOf(groupVersion) };
}

import type { Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { NodeAuthorizer } from './node-authorizer.js';
import { RecentlyDeletedPods } from './recently-deleted-pods.js';
import { podReferences } from './pod-references.js';
import type { Query } from './request-attributes.js';

const pod = (namespace: string, name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: {
    containers: [{ name: 'app', image: 'busybox' }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    ...(nodeName ? { nodeName } : {}),
    ...spec,
  } as Pod['spec'],
});

const web = pod('shop', 'web', 'node-a', {
  serviceAccountName: 'web',
  imagePullSecrets: [{ name: 'registry' }],
  containers: [
    {
      name: 'app',
      image: 'busybox',
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'a' } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'b' } } },
        { name: 'C', value: 'plain' },
      ],
      envFrom: [{ configMapRef: { name: 'bulk-config' } }, { secretRef: { name: 'bulk-secret' } }],
    },
  ],
  initContainers: [{ name: 'init', image: 'busybox', env: [{ name: 'D', valueFrom: { secretKeyRef: { name: 'init-secret', key: 'd' } } }] }],
  volumes: [
    { name: 'cfg', configMap: { name: 'vol-config' } },
    { name: 'sec', secret: { secretName: 'vol-secret' } },
    { name: 'all', projected: { sources: [{ configMap: { name: 'proj-config' } }, { secret: { name: 'proj-secret' } }, { serviceAccountToken: { path: 't' } }] } },
    { name: 'junk', secret: 'not-a-mapping' },
    'not-a-volume',
  ],
});
const api = pod('shop', 'api', 'node-b', { volumes: [{ name: 'keys', secret: { secretName: 'api-keys' } }] });
const elsewhere = pod('other', 'web', 'node-a', { volumes: [{ name: 'db', secret: { secretName: 'db' } }] });
const pending = pod('shop', 'pending', undefined);
const stopping: Pod = { ...pod('shop', 'stopping', 'node-a', { serviceAccountName: 'web' }), metadata: { name: 'stopping', namespace: 'shop', deletionTimestamp: '2026-12-02T00:00:30Z', deletionGracePeriodSeconds: 30 } };
const pods = [web, api, elsewhere, pending, stopping];

const authorizer = new NodeAuthorizer({
  podsOnNode: (node) => pods.filter((p) => p.spec.nodeName === node),
  pod: (namespace, name) => pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
});
const nodeA = { name: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] };
const q = (verb: Query['verb'], resource: string, extra: Partial<Query> = {}): Query => ({ verb, apiGroup: '', resource, ...extra });

describe('podReferences', () => {
  it('finds every ConfigMap, Secret and the ServiceAccount a pod uses, and ignores junk', () => {
    const refs = podReferences(web);
    expect([...refs.configMaps].sort()).toEqual(['bulk-config', 'env-config', 'proj-config', 'vol-config']);
    expect([...refs.secrets].sort()).toEqual(['bulk-secret', 'env-secret', 'init-secret', 'proj-secret', 'registry', 'vol-secret']);
    expect([...refs.serviceAccounts]).toEqual(['web']);
  });

  it('reads an absent serviceAccountName as "default"', () => {
    expect([...podReferences(api).serviceAccounts]).toEqual(['default']);
  });
});

describe('NodeAuthorizer', () => {
  it('has no opinion about anyone but a node', () => {
    for (const user of [
      { name: 'jane', groups: [] },
      { name: 'system:node:node-a', groups: [] },
      { name: 'node-a', groups: ['system:nodes'] },
    ]) {
      expect(authorizer.authorize(user, q('get', 'nodes', { name: 'node-a' }))).toBeUndefined();
    }
  });

  it.each<[string, Query, string]>([
    ['get its Node', q('get', 'nodes', { name: 'node-a' }), 'get its own Node'],
    ['create its Node', q('create', 'nodes', { name: 'node-a' }), 'create its own Node'],
    ['update its Node status', q('update', 'nodes', { name: 'node-a', subresource: 'status' }), 'update its own Node'],
    ['patch its Node', q('patch', 'nodes', { name: 'node-a' }), 'patch its own Node'],
    ['list Nodes', q('list', 'nodes'), 'list Nodes'],
    ['watch Nodes', q('watch', 'nodes'), 'watch Nodes'],
    ['renew its Lease', { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'skiff-system', name: 'node-a' }, 'update its own Lease'],
    ['create its Lease', { verb: 'create', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'skiff-system', name: 'node-a' }, 'create its own Lease'],
    ['watch its pods', q('watch', 'pods', { nodeName: 'node-a' }), 'watch the pods bound to it'],
    ['list its pods', q('list', 'pods', { nodeName: 'node-a' }), 'list the pods bound to it'],
    ['get a pod bound to it', q('get', 'pods', { namespace: 'shop', name: 'web' }), 'get pods bound to it'],
    ['update the status of a pod bound to it', q('update', 'pods', { namespace: 'shop', name: 'web', subresource: 'status' }), 'update the status of pods bound to it'],
    ['delete a pod bound to it that is being deleted (once stopped, as kubelet does)', q('delete', 'pods', { namespace: 'shop', name: 'stopping' }), 'delete pods bound to it'],
    ['get a Secret its pod mounts', q('get', 'secrets', { namespace: 'shop', name: 'vol-secret' }), 'get secrets that pods bound to it reference'],
    ['get a Secret its pod pulls with', q('get', 'secrets', { namespace: 'shop', name: 'registry' }), 'get secrets that pods bound to it reference'],
    ['get a ConfigMap in envFrom', q('get', 'configmaps', { namespace: 'shop', name: 'bulk-config' }), 'get configmaps that pods bound to it reference'],
    ['get its pod ServiceAccount', q('get', 'serviceaccounts', { namespace: 'shop', name: 'web' }), 'get serviceaccounts that pods bound to it reference'],
    ['get a Secret of its pod in another namespace', q('get', 'secrets', { namespace: 'other', name: 'db' }), 'get secrets that pods bound to it reference'],
    ['list every Service', q('list', 'services'), 'list services (for its service proxy and DNS)'],
    ['watch every Service', q('watch', 'services'), 'watch services (for its service proxy and DNS)'],
    ['get a Service', q('get', 'services', { namespace: 'shop', name: 'web' }), 'get services (for its service proxy and DNS)'],
    ['list every EndpointSlice', { verb: 'list', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, 'list endpointslices (for its service proxy and DNS)'],
    ['watch every EndpointSlice', { verb: 'watch', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, 'watch endpointslices (for its service proxy and DNS)'],
  ])('allows a node to %s', (_label, query, what) => {
    expect(authorizer.authorize(nodeA, query)).toEqual({ allowed: true, reason: `node "node-a" may ${what}` });
  });

  it.each<[string, Query, string]>([
    ['get another Node', q('get', 'nodes', { name: 'node-b' }), 'a node may only list and watch Nodes, and get, create, update and patch its own Node "node-a"'],
    ['update another Node status', q('update', 'nodes', { name: 'node-b', subresource: 'status' }), 'a node may only list and watch Nodes, and get, create, update and patch its own Node "node-a"'],
    ['delete its Node', q('delete', 'nodes', { name: 'node-a' }), 'a node may only list and watch Nodes, and get, create, update and patch its own Node "node-a"'],
    ['watch the status of Nodes', q('watch', 'nodes', { subresource: 'status' }), 'a node may only list and watch Nodes, and get, create, update and patch its own Node "node-a"'],
    [
      "renew another node's Lease",
      { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'skiff-system', name: 'node-b' },
      'a node may only get, create and update its own Lease "node-a" in namespace "skiff-system"',
    ],
    [
      'write a Lease elsewhere',
      { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'shop', name: 'node-a' },
      'a node may only get, create and update its own Lease "node-a" in namespace "skiff-system"',
    ],
    ["watch another node's pods", q('watch', 'pods', { nodeName: 'node-b' }), 'a node may only watch the pods bound to it (node "node-a")'],
    ['watch every pod', q('watch', 'pods'), 'a node may only watch the pods bound to it (node "node-a")'],
    ['get a pod bound elsewhere', q('get', 'pods', { namespace: 'shop', name: 'api' }), 'pod "shop/api" is not bound to node "node-a"'],
    ['get a pending pod', q('get', 'pods', { namespace: 'shop', name: 'pending' }), 'pod "shop/pending" is not bound to node "node-a"'],
    ['get a pod that does not exist', q('get', 'pods', { namespace: 'shop', name: 'ghost' }), 'pod "shop/ghost" is not bound to node "node-a"'],
    ['report status for a pod it does not run', q('update', 'pods', { namespace: 'shop', name: 'api', subresource: 'status' }), 'pod "shop/api" is not bound to node "node-a"'],
    ['update a pod it runs', q('update', 'pods', { namespace: 'shop', name: 'web' }), 'a node may not update pods "web" in namespace "shop"'],
    ['delete a pod bound to it that nobody deleted', q('delete', 'pods', { namespace: 'shop', name: 'web' }), 'a node may only remove a pod bound to it once the pod is being deleted (pod "shop/web" is not)'],
    ['delete a pod bound elsewhere', q('delete', 'pods', { namespace: 'shop', name: 'api' }), 'pod "shop/api" is not bound to node "node-a"'],
    ['read the logs of a pod it runs', q('get', 'pods', { namespace: 'shop', name: 'web', subresource: 'log' }), 'a node may not get pods/log "web" in namespace "shop"'],
    ['exec into a pod it runs', q('create', 'pods', { namespace: 'shop', name: 'web', subresource: 'exec' }), 'a node may not create pods/exec "web" in namespace "shop"'],
    ['exec into a pod (get, as old clients ask)', q('get', 'pods', { namespace: 'shop', name: 'web', subresource: 'exec' }), 'a node may not get pods/exec "web" in namespace "shop"'],
    ['get a Secret only another node uses', q('get', 'secrets', { namespace: 'shop', name: 'api-keys' }), 'no pod bound to node "node-a" references secrets "api-keys" in namespace "shop"'],
    ['get a Secret in the wrong namespace', q('get', 'secrets', { namespace: 'shop', name: 'db' }), 'no pod bound to node "node-a" references secrets "db" in namespace "shop"'],
    ['list Secrets', q('list', 'secrets', { namespace: 'shop' }), 'a node may not list secrets in namespace "shop"'],
    ['get a ConfigMap nothing uses', q('get', 'configmaps', { namespace: 'shop', name: 'x' }), 'no pod bound to node "node-a" references configmaps "x" in namespace "shop"'],
    ['get a ServiceAccount nothing uses', q('get', 'serviceaccounts', { namespace: 'shop', name: 'default' }), 'no pod bound to node "node-a" references serviceaccounts "default" in namespace "shop"'],
    ['create a deployment', { verb: 'create', apiGroup: 'apps', resource: 'deployments', namespace: 'shop' }, 'a node may not create deployments in namespace "shop"'],
    ['ask about "*"', q('*', 'pods', { nodeName: 'node-a' }), 'a node may not * pods at the cluster scope'],
    ['create a Service', q('create', 'services', { namespace: 'shop', name: 'web' }), 'a node may only get, list and watch services'],
    ['update a Service', q('update', 'services', { namespace: 'shop', name: 'web' }), 'a node may only get, list and watch services'],
    ['delete a Service', q('delete', 'services', { namespace: 'shop', name: 'web' }), 'a node may only get, list and watch services'],
    ['update a Service status', q('update', 'services', { namespace: 'shop', name: 'web', subresource: 'status' }), 'a node may not update services/status "web" in namespace "shop"'],
    [
      'write an EndpointSlice',
      { verb: 'update', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'shop', name: 'web-abcde' },
      'a node may only get, list and watch endpointslices',
    ],
    [
      'delete an EndpointSlice',
      { verb: 'delete', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'shop', name: 'web-abcde' },
      'a node may only get, list and watch endpointslices',
    ],
    ['list EndpointSlices from the wrong group', q('list', 'endpointslices'), 'a node may not list endpointslices at the cluster scope'],
  ])('denies a node to %s', (_label, query, why) => {
    expect(authorizer.authorize(nodeA, query)).toEqual({ allowed: false, reason: `node authorizer: ${why}` });
  });

  it('lets a node request tokens only for the ServiceAccounts its pods run as (projected serviceAccountToken volumes)', () => {
    const token = (namespace: string, name: string) => authorizer.authorize(nodeA, q('create', 'serviceaccounts', { subresource: 'token', namespace, name }));
    expect(token('shop', 'web')).toMatchObject({ allowed: true });
    expect(token('other', 'default')).toMatchObject({ allowed: true });
    expect(token('shop', 'default')).toEqual({ allowed: false, reason: 'node authorizer: no pod bound to node "node-a" runs as serviceaccount "default" in namespace "shop"' });
    expect(authorizer.authorize(nodeA, q('get', 'serviceaccounts', { subresource: 'token', namespace: 'shop', name: 'web' }))).toMatchObject({ allowed: false });
  });

  it('takes the lease namespace the control plane uses', () => {
    const custom = new NodeAuthorizer({ podsOnNode: () => [], pod: () => undefined }, { leaseNamespace: 'custom-leases' });
    const lease = (namespace: string): Query => ({ verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace, name: 'node-a' });
    expect(custom.authorize(nodeA, lease('custom-leases'))?.allowed).toBe(true);
    expect(custom.authorize(nodeA, lease('skiff-system'))?.allowed).toBe(false);
  });
});

describe('NodeAuthorizer and Events', () => {
  const withUid = (p: Pod, uid: string): Pod => ({ ...p, metadata: { ...p.metadata, uid } });
  const mine = withUid(pod('shop', 'web', 'node-a'), 'uid-web');
  const theirs = withUid(pod('shop', 'api', 'node-b'), 'uid-api');
  const live = [mine, theirs];
  const deleted = new RecentlyDeletedPods({ now: () => 1_000 });
  deleted.remember(withUid(pod('shop', 'gone', 'node-a'), 'uid-gone'));
  deleted.remember(withUid(pod('shop', 'gone-b', 'node-b'), 'uid-gone-b'));
  const events = new NodeAuthorizer({
    podsOnNode: (node) => live.filter((p) => p.spec.nodeName === node),
    pod: (namespace, name) => live.find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
    deletedPod: (uid) => deleted.find(uid),
  });
  const about = (kind: string, namespace: string | undefined, name: string, uid?: string) => ({
    apiVersion: 'v1',
    kind,
    ...(namespace !== undefined ? { namespace } : {}),
    name,
    ...(uid ? { uid } : {}),
    fieldPath: 'spec.containers{app}',
  });
  const write = (verb: Query['verb'], namespace: string, ...involvedObjects: ReturnType<typeof about>[]): Query => ({
    verb,
    apiGroup: '',
    resource: 'events',
    namespace,
    name: 'web.17f0',
    involvedObjects,
  });

  it.each<[string, Query]>([
    ['create an event about a pod bound to it', write('create', 'shop', about('Pod', 'shop', 'web', 'uid-web'))],
    ['update an event about a pod bound to it (as written and as stored)', write('update', 'shop', about('Pod', 'shop', 'web', 'uid-web'), about('Pod', 'shop', 'web', 'uid-web'))],
    ['patch an event about a pod bound to it, named without uid', write('patch', 'shop', about('Pod', 'shop', 'web'))],
    ['create an event about its own Node', write('create', 'default', about('Node', undefined, 'node-a'))],
    ['create an event about a pod it ran that was just deleted ("Killing")', write('create', 'shop', about('Pod', 'shop', 'gone', 'uid-gone'))],
  ])('allows a node to %s', (_label, query) => {
    expect(events.authorize(nodeA, query)).toEqual({ allowed: true, reason: `node "node-a" may ${query.verb} events about itself and the pods bound to it` });
  });

  it.each<[string, Query, string]>([
    // The hostile case: node-a forging an event about node-b's pod.
    ['create an event about a pod on another node', write('create', 'shop', about('Pod', 'shop', 'api', 'uid-api')), 'pod "shop/api" (uid uid-api) is not bound to node "node-a"'],
    [
      "overwrite another node's event by naming its own pod",
      write('update', 'shop', about('Pod', 'shop', 'web', 'uid-web'), about('Pod', 'shop', 'api', 'uid-api')),
      'pod "shop/api" (uid uid-api) is not bound to node "node-a"',
    ],
    ['write about an old pod of the same name (another uid)', write('create', 'shop', about('Pod', 'shop', 'web', 'uid-old')), 'pod "shop/web" (uid uid-old) is not bound to node "node-a"'],
    ['write about a pod another node ran, just deleted', write('create', 'shop', about('Pod', 'shop', 'gone-b', 'uid-gone-b')), 'pod "shop/gone-b" (uid uid-gone-b) is not bound to node "node-a"'],
    ['write about a deleted pod without its uid', write('create', 'shop', about('Pod', 'shop', 'gone')), 'pod "shop/gone" is not bound to node "node-a"'],
    ['write about a pod that never existed', write('create', 'shop', about('Pod', 'shop', 'ghost', 'uid-x')), 'pod "shop/ghost" (uid uid-x) is not bound to node "node-a"'],
    ['file an event about its pod in another namespace', write('create', 'default', about('Pod', 'shop', 'web', 'uid-web')), 'an event about Pod "shop/web" belongs in namespace "shop"'],
    ['create an event about another Node', write('create', 'default', about('Node', undefined, 'node-b')), 'a node may record events only about its own Node and the pods bound to it, not about Node "/node-b"'],
    ['file an event about its Node outside "default"', write('create', 'shop', about('Node', undefined, 'node-a')), 'events about node "node-a" belong in namespace "default"'],
    ['create an event about a Deployment', write('create', 'shop', about('Deployment', 'shop', 'web')), 'a node may record events only about its own Node and the pods bound to it, not about Deployment "shop/web"'],
    ['create an event that names nothing', write('create', 'shop'), 'a node may only create, update and patch events about its own Node "node-a" and the pods bound to it'],
    ['delete an event about its pod', write('delete', 'shop', about('Pod', 'shop', 'web', 'uid-web')), 'a node may only create, update and patch events about its own Node "node-a" and the pods bound to it'],
    ['list events', q('list', 'events', { namespace: 'shop' }), 'a node may only create, update and patch events about its own Node "node-a" and the pods bound to it'],
    ['get an event', q('get', 'events', { namespace: 'shop', name: 'web.1' }), 'a node may only create, update and patch events about its own Node "node-a" and the pods bound to it'],
  ])('denies a node to %s', (_label, query, why) => {
    expect(events.authorize(nodeA, query)).toEqual({ allowed: false, reason: `node authorizer: ${why}` });
  });

  it('forgets deleted pods after their time, and the oldest first when full', () => {
    let now = 0;
    const memory = new RecentlyDeletedPods({ ttlMs: 100, max: 2, now: () => now });
    memory.remember(withUid(pod('shop', 'a', 'node-a'), 'a'));
    memory.remember(withUid(pod('shop', 'b', 'node-a'), 'b'));
    memory.remember(withUid(pod('shop', 'c', 'node-a'), 'c'));
    memory.remember(withUid(pod('shop', 'pending', undefined), 'p'));
    expect(memory.find('a')).toBeUndefined();
    expect(memory.find('b')).toEqual({ namespace: 'shop', name: 'b', nodeName: 'node-a' });
    expect(memory.find('p')).toBeUndefined();
    now = 100;
    expect(memory.find('c')).toBeUndefined();
  });
});

import {
  kindInfo,
  type ClusterRole,
  type ClusterRoleBinding,
  type ConfigMap,
  type ContainerStatus,
  type Deployment,
  type Event,
  type KindName,
  type Namespace,
  type Node,
  type Pod,
  type PodStatus,
  type ResourceObject,
  type Role,
  type RoleBinding,
  type Secret,
  type EndpointSlice,
  type Service,
  type ServiceAccount,
  podStatusText,
} from '@skiff/api';
import { describe, expect, it } from 'vitest';

import { renderObjects } from './render-objects.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

function table(kind: KindName, objects: readonly ResourceObject[], options: { wide?: boolean; withNamespace?: boolean } = {}): string {
  const format = options.wide ? 'wide' : 'table';
  return renderObjects(kindInfo(kind), objects, { format, withNamespace: options.withNamespace ?? false, single: false, now: NOW });
}

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

// --- Pods -------------------------------------------------------------------

const running = (restartCount = 0, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name: 'main',
  ready: true,
  restartCount,
  state: { running: { startedAt: ago(30) } },
  ...extra,
});
const waiting = (reason: string, restartCount = 0, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name: 'main',
  ready: false,
  restartCount,
  state: { waiting: { reason } },
  ...extra,
});
const terminated = (exitCode: number, reason?: string): ContainerStatus => ({
  name: 'main',
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode, ...(reason ? { reason } : {}), finishedAt: ago(20) } },
});

function pod(
  name: string,
  status: PodStatus | undefined,
  options: { age?: number; containers?: number; nodeName?: string; deleting?: boolean; namespace?: string } = {},
): Pod {
  const containers = Array.from({ length: options.containers ?? 1 }, (_, i) => ({
    name: i === 0 ? 'main' : `side-${i}`,
    image: 'busybox:1.36',
    ports: i === 0 ? [{ containerPort: 8080, protocol: 'TCP' as const }] : [],
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      creationTimestamp: ago(options.age ?? 5),
      ...(options.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: {
      containers,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    },
    ...(status ? { status } : {}),
  };
}

const crashLooping = pod(
  'crasher',
  {
    phase: 'Running',
    containerStatuses: [
      waiting('CrashLoopBackOff', 5, { lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(40) } } }),
    ],
  },
  { age: 3 * 60, nodeName: 'node-b' },
);

describe('ctl get pods', () => {
  it('shows READY, STATUS, RESTARTS and AGE for pods in every phase, aligned', () => {
    const pods = [
      pod('unscheduled', undefined, { age: 2 }),
      pod('creating', { phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] }, { nodeName: 'node-a' }),
      pod('web-7d4b9c-x2x9q', { phase: 'Running', podIP: '10.244.1.7', containerStatuses: [running()] }, { age: 2 * 86400, nodeName: 'node-a' }),
      crashLooping,
      pod('pulling', { phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff')] }, { age: 65 }),
      pod('oom', { phase: 'Failed', containerStatuses: [terminated(137, 'OOMKilled')] }, { age: 600 }),
      pod('job-done', { phase: 'Succeeded', containerStatuses: [terminated(0, 'Completed')] }, { age: 3 * 3600 }),
    ];
    expect(table('Pod', pods)).toBe(
      lines(
        'NAME               READY   STATUS              RESTARTS      AGE',
        'unscheduled        0/1     Pending             0             2s',
        'creating           0/1     ContainerCreating   0             5s',
        'web-7d4b9c-x2x9q   1/1     Running             0             2d',
        'crasher            0/1     CrashLoopBackOff    5 (40s ago)   3m',
        'pulling            0/1     ImagePullBackOff    0             65s',
        'oom                0/1     OOMKilled           0             10m',
        'job-done           0/1     Completed           0             3h',
      ),
    );
  });

  it('-o wide adds IP, NODE and PORTS, with <none> for what is not there yet', () => {
    const pods = [
      pod('web-7d4b9c-x2x9q', { phase: 'Running', podIP: '10.244.1.7', containerStatuses: [running()] }, { nodeName: 'node-a' }),
      pod('unscheduled', undefined),
    ];
    expect(table('Pod', pods, { wide: true })).toBe(
      lines(
        'NAME               READY   STATUS    RESTARTS   AGE   IP           NODE     PORTS',
        'web-7d4b9c-x2x9q   1/1     Running   0          5s    10.244.1.7   node-a   8080/TCP',
        'unscheduled        0/1     Pending   0          5s    <none>       <none>   8080/TCP',
      ),
    );
  });

  it('dates RESTARTS by the latest exit of any container', () => {
    const exited = (seconds: number) => ({ terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(seconds) } });
    const twice = pod(
      'flaky',
      { phase: 'Running', containerStatuses: [running(1, { lastState: exited(400) }), running(2, { name: 'side-1', lastState: exited(70) })] },
      { containers: 2 },
    );
    expect(table('Pod', [twice])).toBe(lines('NAME    READY   STATUS    RESTARTS      AGE', 'flaky   2/2     Running   3 (70s ago)   5s'));
  });

  it('counts ready containers out of all, and sums restarts over them', () => {
    const partly = pod(
      'two',
      { phase: 'Running', containerStatuses: [running(2), running(1, { name: 'side-1', ready: false })] },
      { containers: 2 },
    );
    expect(table('Pod', [partly])).toBe(lines('NAME   READY   STATUS    RESTARTS   AGE', 'two    1/2     Running   3          5s'));
  });

  it('-A puts NAMESPACE first', () => {
    const pods = [
      pod('web', { phase: 'Running', containerStatuses: [running()] }, { namespace: 'shop' }),
      pod('dns', { phase: 'Running', containerStatuses: [running()] }, { namespace: 'skiff-system' }),
    ];
    expect(table('Pod', pods, { withNamespace: true })).toBe(
      lines(
        'NAMESPACE      NAME   READY   STATUS    RESTARTS   AGE',
        'shop           web    1/1     Running   0          5s',
        'skiff-system   dns    1/1     Running   0          5s',
      ),
    );
  });
});

describe('podStatusText', () => {
  it.each<[string, Pod, string]>([
    ['no status yet', pod('p', undefined), 'Pending'],
    ['a waiting reason', pod('p', { phase: 'Pending', containerStatuses: [waiting('ErrImagePull')] }), 'ErrImagePull'],
    ['the first container with a reason', pod('p', { phase: 'Running', containerStatuses: [running(), waiting('CrashLoopBackOff', 2)] }), 'CrashLoopBackOff'],
    ['a terminated reason', pod('p', { phase: 'Failed', containerStatuses: [terminated(1, 'Error')] }), 'Error'],
    ['the pod phase while containers run', pod('p', { phase: 'Running', containerStatuses: [running()] }), 'Running'],
    ['the pod reason over its phase', pod('p', { phase: 'Failed', reason: 'Evicted' }), 'Evicted'],
    ['Terminating once deletion started', pod('p', { phase: 'Running', containerStatuses: [running()] }, { deleting: true }), 'Terminating'],
    ['Completed for a pod that succeeded', pod('p', { phase: 'Succeeded', containerStatuses: [terminated(0, 'Completed')] }), 'Completed'],
    ['ExitCode:N for a terminated container without a reason', pod('p', { phase: 'Failed', containerStatuses: [terminated(3)] }), 'ExitCode:3'],
    [
      'Running for a completed container beside a running one in a Ready pod',
      pod('p', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [terminated(0, 'Completed'), running()] }, { containers: 2 }),
      'Running',
    ],
    [
      'NotReady for the same pod without the Ready condition',
      pod('p', { phase: 'Running', containerStatuses: [terminated(0, 'Completed'), running()] }, { containers: 2 }),
      'NotReady',
    ],
    ['its last state for a finished pod being deleted', pod('p', { phase: 'Failed', containerStatuses: [terminated(1, 'Error')] }, { deleting: true }), 'Error'],
  ])('%s', (_, subject, text) => {
    expect(podStatusText(subject)).toBe(text);
  });

  describe('with init containers, as kubectl', () => {
    const withInits = (initContainerStatuses: ContainerStatus[], extra: Partial<PodStatus> = {}): Pod => {
      const subject = pod('p', { phase: 'Pending', containerStatuses: [waiting('PodInitializing')], initContainerStatuses, ...extra });
      return { ...subject, spec: { ...subject.spec, initContainers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }] } };
    };
    const init = (name: string, state: ContainerStatus): ContainerStatus => ({ ...state, name });
    it.each<[string, Pod, string]>([
      ['Init:0/2 while the first runs', withInits([init('a', running()), init('b', waiting('PodInitializing'))]), 'Init:0/2'],
      ['Init:1/2 once the first exited 0', withInits([init('a', terminated(0, 'Completed')), init('b', running())]), 'Init:1/2'],
      ['Init:Error for one that failed', withInits([init('a', terminated(3, 'Error')), init('b', waiting('PodInitializing'))], { phase: 'Failed' }), 'Init:Error'],
      ['Init:ExitCode:N without a reason', withInits([init('a', terminated(3)), init('b', waiting('PodInitializing'))]), 'Init:ExitCode:3'],
      ['Init:CrashLoopBackOff while one backs off', withInits([init('a', waiting('CrashLoopBackOff', 2)), init('b', waiting('PodInitializing'))]), 'Init:CrashLoopBackOff'],
      [
        'PodInitializing once they all succeeded, before the app container starts',
        withInits([init('a', terminated(0, 'Completed')), init('b', terminated(0, 'Completed'))], { conditions: [{ type: 'Initialized', status: 'True' }] }),
        'PodInitializing',
      ],
      [
        'the app containers’ state after that',
        withInits([init('a', terminated(0, 'Completed')), init('b', terminated(0, 'Completed'))], { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], containerStatuses: [running()] }),
        'Running',
      ],
    ])('%s', (_, subject, text) => {
      expect(podStatusText(subject)).toBe(text);
    });
  });
});

// --- Deployments --------------------------------------------------------------

function deployment(name: string, replicas: number, status: Deployment['status'], age = 5): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', creationTimestamp: ago(age) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'web', image: 'busybox:1.36' },
            { name: 'log', image: 'busybox:1.35' },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    ...(status ? { status } : {}),
  };
}

describe('ctl get deployments', () => {
  it('-o wide SELECTOR sorts the terms by key, as kubectl does', () => {
    const mixed = deployment('web', 1, undefined);
    mixed.spec.selector = {
      matchLabels: { tier: 'front', app: 'web' },
      matchExpressions: [
        { key: 'zone', operator: 'NotIn', values: ['b', 'a'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'beta', operator: 'Exists' },
      ],
    };
    const [, row] = table('Deployment', [mixed], { wide: true }).split('\n');
    expect(row?.slice(row.indexOf('app='))).toBe('app=web,beta,!canary,env in (dev,prod),tier=front,zone notin (a,b)');
  });

  it('shows READY as ready/desired, then UP-TO-DATE and AVAILABLE', () => {
    const deployments = [
      deployment('web', 3, { replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 4 * 86400 + 5 * 3600),
      deployment('api', 3, { replicas: 4, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 }, 200),
      deployment('new', 2, undefined),
    ];
    expect(table('Deployment', deployments)).toBe(
      lines(
        'NAME   READY   UP-TO-DATE   AVAILABLE   AGE',
        'web    3/3     3            3           4d5h',
        'api    1/3     2            1           3m20s',
        'new    0/2     0            0           5s',
      ),
    );
  });

  it('-o wide adds CONTAINERS, IMAGES and SELECTOR', () => {
    expect(table('Deployment', [deployment('web', 1, { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 })], { wide: true })).toBe(
      lines(
        'NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                      SELECTOR',
        'web    1/1     1            1           5s    web,log      busybox:1.36,busybox:1.35   app=web',
      ),
    );
  });
});

// --- Nodes ---------------------------------------------------------------------

function node(name: string, ready: 'True' | 'False' | 'Unknown' | undefined, options: { cordoned?: boolean; version?: string } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: ago(3 * 3600 + 20 * 60) },
    spec: options.cordoned ? { unschedulable: true } : {},
    status: {
      allocatable: { cpu: '2', memory: '2Gi' },
      ...(ready ? { conditions: [{ type: 'Ready', status: ready }] } : {}),
      nodeInfo: { runtime: 'runc', ...(options.version ? { agentVersion: options.version } : {}) },
    },
  };
}

describe('ctl get nodes', () => {
  it('shows Ready, NotReady (False or Unknown), Unknown without a condition, and SchedulingDisabled when cordoned', () => {
    const nodes = [
      node('node-a', 'True', { version: '0.1.0' }),
      node('node-b', 'False', { version: '0.1.0' }),
      node('node-c', 'Unknown', { version: '0.1.0' }),
      node('node-d', 'True', { version: '0.1.0', cordoned: true }),
      node('node-e', 'Unknown', { version: '0.1.0', cordoned: true }),
      node('node-f', undefined),
    ];
    expect(table('Node', nodes)).toBe(
      lines(
        'NAME     STATUS                        AGE     VERSION',
        'node-a   Ready                         3h20m   0.1.0',
        'node-b   NotReady                      3h20m   0.1.0',
        'node-c   NotReady                      3h20m   0.1.0',
        'node-d   Ready,SchedulingDisabled      3h20m   0.1.0',
        'node-e   NotReady,SchedulingDisabled   3h20m   0.1.0',
        'node-f   Unknown                       3h20m   <none>',
      ),
    );
  });

  it('-o wide adds CPU, MEMORY and RUNTIME', () => {
    expect(table('Node', [node('node-a', 'True', { version: '0.1.0' })], { wide: true })).toBe(
      lines('NAME     STATUS   AGE     VERSION   CPU   MEMORY   RUNTIME', 'node-a   Ready    3h20m   0.1.0     2     2Gi      runc'),
    );
  });

});

// --- Services, namespaces, config -------------------------------------------------

function service(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: ago(45) }, spec };
}

describe('ctl get services (kubectl printers.go: getServiceExternalIP, makePortString)', () => {
  const services = [
    service('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }),
    service('dns', {
      type: 'NodePort',
      clusterIP: '10.96.0.53',
      ports: [
        { port: 53, targetPort: 53, nodePort: 30053, protocol: 'UDP' },
        { port: 80, targetPort: 80, nodePort: 30080, protocol: 'TCP' },
      ],
    }),
    service('headless', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' }, ports: [] }),
    service('db', { type: 'ExternalName', externalName: 'db.example.com', ports: [] }),
    { ...service('lb', { type: 'LoadBalancer', clusterIP: '10.96.3.4', ports: [{ port: 443, targetPort: 8443, nodePort: 31443, protocol: 'TCP' }] }), status: { loadBalancer: { ingress: [{ ip: '192.168.1.12' }, { ip: '192.168.1.11' }] } } },
    service('waiting', { type: 'LoadBalancer', clusterIP: '10.96.3.5', ports: [{ port: 80, targetPort: 80, nodePort: 31080, protocol: 'TCP' }] }),
  ];

  it('shows TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) as kubectl does', () => {
    expect(table('Service', services)).toBe(
      lines(
        'NAME       TYPE           CLUSTER-IP   EXTERNAL-IP        PORT(S)                     AGE',
        'web        ClusterIP      10.96.0.10   <none>             80/TCP                      45s',
        'dns        NodePort       10.96.0.53   <none>             53:30053/UDP,80:30080/TCP   45s',
        'headless   ClusterIP      None         <none>             <none>                      45s',
        'db         ExternalName   <none>       db.example.com     <none>                      45s',
        'lb         LoadBalancer   10.96.3.4    192.168.1.11,...   443:31443/TCP               45s',
        'waiting    LoadBalancer   10.96.3.5    <pending>          80:31080/TCP                45s',
      ),
    );
  });

  it('-o wide adds SELECTOR, its pairs sorted, and shows every LoadBalancer ingress', () => {
    const web = service('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', selector: { tier: 'front', app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
    expect(table('Service', [web, services[4] as Service], { wide: true })).toBe(
      lines(
        'NAME   TYPE           CLUSTER-IP   EXTERNAL-IP                 PORT(S)         AGE   SELECTOR',
        'web    ClusterIP      10.96.0.10   <none>                      80/TCP          45s   app=web,tier=front',
        'lb     LoadBalancer   10.96.3.4    192.168.1.11,192.168.1.12   443:31443/TCP   45s   <none>',
      ),
    );
  });
});

describe('ctl get endpointslices (kubectl formatDiscoveryPorts, formatDiscoveryEndpoints)', () => {
  const slice = (name: string, ports: number[], addresses: string[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', creationTimestamp: ago(45) },
    addressType: 'IPv4',
    ports: ports.map((port) => ({ protocol: 'TCP', port })),
    endpoints: addresses.map((address, i) => ({ addresses: [address], conditions: { ready: i % 2 === 0 } })),
  });

  it('shows up to three ports and addresses, then "+ N more...", and <unset> for none', () => {
    expect(
      table('EndpointSlice', [
        slice('web-abcde', [8080], ['10.244.1.2', '10.244.1.3']),
        slice('big-fghij', [80, 443, 8080, 9090], ['10.244.1.2', '10.244.1.3', '10.244.2.2', '10.244.2.3', '10.244.3.2']),
        slice('empty-klmno', [], []),
      ]),
    ).toBe(
      lines(
        'NAME          ADDRESSTYPE   PORTS                     ENDPOINTS                                      AGE',
        'web-abcde     IPv4          8080                      10.244.1.2,10.244.1.3                          45s',
        'big-fghij     IPv4          80,443,8080 + 1 more...   10.244.1.2,10.244.1.3,10.244.2.2 + 2 more...   45s',
        'empty-klmno   IPv4          <unset>                   <unset>                                        45s',
      ),
    );
  });
});

describe('ctl get namespaces, configmaps, secrets', () => {
  it('shows a namespace Active unless it is Terminating', () => {
    const namespaces: Namespace[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: ago(800 * 86400) } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', creationTimestamp: ago(30) }, status: { phase: 'Terminating' } },
    ];
    expect(table('Namespace', namespaces)).toBe(lines('NAME      STATUS        AGE', 'default   Active        2y70d', 'shop      Terminating   30s'));
  });

  it('counts DATA over data and binaryData, and shows a secret TYPE', () => {
    const config: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default', creationTimestamp: ago(5) },
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    };
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default', creationTimestamp: ago(5) },
      type: 'Opaque',
      data: { password: 'cw==' },
    };
    expect(table('ConfigMap', [config])).toBe(lines('NAME       DATA   AGE', 'settings   3      5s'));
    expect(table('Secret', [secret])).toBe(lines('NAME   TYPE     DATA   AGE', 'db     Opaque   1      5s'));
  });
});

// --- ServiceAccounts and RBAC -----------------------------------------------------

describe('ctl get serviceaccounts, roles and bindings', () => {
  const rbac = 'rbac.authorization.k8s.io/v1' as const;

  it('counts a ServiceAccount SECRETS', () => {
    const accounts: ServiceAccount[] = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'shop', creationTimestamp: ago(90) } },
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'deployer', namespace: 'shop', creationTimestamp: ago(5) },
        secrets: [{ name: 'deployer-token' }],
      },
    ];
    expect(table('ServiceAccount', accounts)).toBe(lines('NAME       SECRETS   AGE', 'default    0         90s', 'deployer   1         5s'));
  });

  it('shows roles by NAME and CREATED AT, in UTC to the second', () => {
    const roleObject: Role = { apiVersion: rbac, kind: 'Role', metadata: { name: 'pod-reader', namespace: 'shop', creationTimestamp: ago(3600) } };
    const clusterRole: ClusterRole = { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'system:viewer' } };
    expect(table('Role', [roleObject])).toBe(lines('NAME         CREATED AT', 'pod-reader   2024-05-01T11:00:00Z'));
    expect(table('ClusterRole', [clusterRole])).toBe(lines('NAME            CREATED AT', 'system:viewer   <unknown>'));
  });

  const binding: RoleBinding = {
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name: 'read-pods', namespace: 'shop', creationTimestamp: ago(120) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [
      { kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'User', name: 'joe', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
    ],
  };
  const clusterBinding: ClusterRoleBinding = {
    apiVersion: rbac,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin', creationTimestamp: ago(86400) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters', apiGroup: 'rbac.authorization.k8s.io' }],
  };

  it('shows a binding ROLE as kind/name', () => {
    expect(table('RoleBinding', [binding])).toBe(lines('NAME        ROLE              AGE', 'read-pods   Role/pod-reader   2m'));
    expect(table('ClusterRoleBinding', [clusterBinding])).toBe(lines('NAME            ROLE                        AGE', 'cluster-admin   ClusterRole/cluster-admin   24h'));
  });

  it('-o wide adds USERS, GROUPS and SERVICEACCOUNTS (namespace/name)', () => {
    expect(table('RoleBinding', [binding], { wide: true })).toBe(
      lines(
        'NAME        ROLE              AGE   USERS       GROUPS   SERVICEACCOUNTS',
        'read-pods   Role/pod-reader   2m    jane, joe            tools/ci',
      ),
    );
    expect(table('ClusterRoleBinding', [clusterBinding], { wide: true })).toBe(
      lines(
        'NAME            ROLE                        AGE   USERS   GROUPS           SERVICEACCOUNTS',
        'cluster-admin   ClusterRole/cluster-admin   24h           system:masters',
      ),
    );
  });
});

// --- Events ----------------------------------------------------------------------

describe('ctl get events', () => {
  it('shows LAST SEEN, TYPE, REASON, OBJECT as kind/name, and MESSAGE, oldest first', () => {
    const event = (name: string, lastSeen: number, fields: Pick<Event, 'type' | 'reason' | 'message' | 'involvedObject'>): Event => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default', creationTimestamp: ago(600) },
      lastTimestamp: ago(lastSeen),
      ...fields,
    });
    const events = [
      event('giant.1', 12, {
        type: 'Warning',
        reason: 'FailedScheduling',
        message: '0/3 nodes are available: 3 Insufficient cpu.',
        involvedObject: { kind: 'Pod', name: 'giant' },
      }),
      event('web.2', 125, { type: 'Normal', reason: 'ScalingReplicaSet', message: 'Scaled up to 3', involvedObject: { kind: 'Deployment', name: 'web' } }),
    ];
    expect(table('Event', events)).toBe(
      lines(
        'LAST SEEN   TYPE      REASON              OBJECT           MESSAGE',
        '2m5s        Normal    ScalingReplicaSet   deployment/web   Scaled up to 3',
        '12s         Warning   FailedScheduling    pod/giant        0/3 nodes are available: 3 Insufficient cpu.',
      ),
    );
  });
});

describe('daemon set columns', () => {
  it("shows kubectl's DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE", () => {
    const ds = (name: string, nodeSelector: Record<string, string> | undefined, status?: Record<string, number>): ResourceObject =>
      ({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name, namespace: 'default', creationTimestamp: ago(300) },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(nodeSelector ? { nodeSelector } : {}) } },
        },
        ...(status ? { status } : {}),
      }) as unknown as ResourceObject;
    const all = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2, numberMisscheduled: 0 };
    expect(table('DaemonSet', [ds('logs', undefined, all), ds('edge', { role: 'edge' })])).toBe(
      lines(
        'NAME   DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE',
        'logs   3         3         2       1            2           <none>          5m',
        'edge   0         0         0       0            0           role=edge       5m',
      ),
    );
    expect(table('DaemonSet', [ds('logs', undefined, all)], { wide: true }).split('\n')[0]).toMatch(/AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  });
});

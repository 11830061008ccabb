// The objects hostile-request suites seed and try to write: small manifests
// in Kubernetes' shape, built by name.
import type { ClusterRoleBinding, ConfigMap, Deployment, Namespace, Pod, ResourceObject, RoleBinding, Secret, ServiceAccount, Subject } from '@skiff/api';

const RBAC = 'rbac.authorization.k8s.io';

export const namespace = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as Namespace;

export const configMap = (ns: string, name: string, data: Record<string, string> = { written: 'yes' }): ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data }) as ConfigMap;

/** `data` in clear; stored base64 as every Secret. */
export const secret = (ns: string, name: string, data: Record<string, string>): Secret =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  }) as Secret;

export const serviceAccount = (ns: string, name: string): ServiceAccount =>
  ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } }) as ServiceAccount;

/** A deployment of no replicas: something to delete or scale, nothing to schedule. */
export const deployment = (ns: string, name: string): Deployment =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'none', command: ['/bin/sleep', '3600'] }] },
      },
    },
  }) as Deployment;

/** A pod bound to `nodeName` that prints `line` and then sleeps, referencing Secret `secretName` (as its image pull secret). */
export const boundPod = (ns: string, name: string, nodeName: string, secretName: string, line: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      nodeName,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      imagePullSecrets: [{ name: secretName }],
      containers: [
        {
          name: 'main',
          image: 'none',
          command: ['/bin/sh', '-c', `echo ${line}; exec sleep 3600`],
        },
      ],
    },
  }) as Pod;

export const user = (name: string): Subject => ({ kind: 'User', name, apiGroup: RBAC });

export const roleBinding = (ns: string, name: string, clusterRole: string, subjects: readonly Subject[]): RoleBinding => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
  subjects: [...subjects],
});

export const clusterRoleBinding = (name: string, clusterRole: string, subjects: readonly Subject[]): ClusterRoleBinding => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
  subjects: [...subjects],
});

export const manifest = (object: ResourceObject): string => JSON.stringify(object);

import { describe, expect, it } from 'vitest';
import { InvalidError, type ResourceObject } from '@skiff/api';
import { planApply, type ApplyContext } from './apply-plan.js';

const context: ApplyContext = { now: new Date('2026-03-04T05:06:07.890Z'), newUid: () => 'uid-1' };

function deployment(overrides: { labels?: Record<string, string>; replicas?: number; selector?: Record<string, string> } = {}): ResourceObject {
  const selector = overrides.selector ?? { app: 'web' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', ...(overrides.labels ? { labels: overrides.labels } : {}) },
    spec: {
      replicas: overrides.replicas ?? 2,
      selector: { matchLabels: selector },
      template: { metadata: { labels: selector }, spec: { containers: [{ name: 'web', image: 'busybox:1' }] } },
    },
  } as unknown as ResourceObject;
}

function stored(manifest: ResourceObject): ResourceObject {
  const created = planApply(manifest, undefined, context).object;
  return { ...created, metadata: { ...created.metadata, resourceVersion: '41' }, status: { replicas: 2 } } as ResourceObject;
}

describe('planApply: create', () => {
  it('assigns identity and drops what the server owns', () => {
    const manifest = {
      ...deployment(),
      metadata: { name: 'web', namespace: 'shop', uid: 'forged', resourceVersion: '7', generation: 9, creationTimestamp: '1999-01-01T00:00:00Z' },
      status: { replicas: 100 },
    } as ResourceObject;
    const plan = planApply(manifest, undefined, context);
    expect(plan.outcome).toBe('created');
    expect(plan.object.metadata).toEqual({
      name: 'web',
      namespace: 'shop',
      uid: 'uid-1',
      generation: 1,
      creationTimestamp: '2026-03-04T05:06:07Z',
    });
    expect(plan.object.status).toBeUndefined();
    expect(plan.object.spec).toEqual(manifest.spec);
    expect(plan.object.spec).not.toBe(manifest.spec);
  });

  it('makes a new Namespace Active', () => {
    const plan = planApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } as ResourceObject, undefined, context);
    expect(plan.object.status).toEqual({ phase: 'Active' });
  });
});

describe('planApply: update', () => {
  it('is unchanged, and writes nothing new, when the manifest says what is stored', () => {
    const existing = stored(deployment());
    const plan = planApply(deployment(), existing, context);
    expect(plan.outcome).toBe('unchanged');
    expect(plan.object).toBe(existing);
  });

  it("keeps the deployment controller's annotations (revision) a re-applied manifest does not mention", () => {
    const created = stored(deployment());
    const existing = { ...created, metadata: { ...created.metadata, annotations: { 'deployment.kubernetes.io/revision': '3' } } } as ResourceObject;
    expect(planApply(deployment(), existing, context).outcome).toBe('unchanged');
    const relabelled = planApply(deployment({ labels: { tier: 'x' } }), existing, context);
    expect(relabelled.outcome).toBe('configured');
    expect(relabelled.object.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3' });
  });

  it('bumps the generation on a spec change and keeps identity and status', () => {
    const existing = stored(deployment());
    const plan = planApply(deployment({ replicas: 5 }), existing, context);
    expect(plan.outcome).toBe('configured');
    expect(plan.object.metadata).toMatchObject({ uid: 'uid-1', generation: 2, creationTimestamp: '2026-03-04T05:06:07Z' });
    expect(plan.object.metadata.resourceVersion).toBeUndefined();
    expect((plan.object.spec as { replicas: number }).replicas).toBe(5);
    expect(plan.object.status).toEqual({ replicas: 2 });
  });

  it('configures without a new generation when only labels change', () => {
    const plan = planApply(deployment({ labels: { tier: 'front' } }), stored(deployment()), context);
    expect(plan.outcome).toBe('configured');
    expect(plan.object.metadata.generation).toBe(1);
    expect(plan.object.metadata.labels).toEqual({ tier: 'front' });
  });

  it('keeps owner references and a deletion timestamp the manifest does not mention', () => {
    const existing = stored(deployment());
    existing.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Thing', name: 'owner', uid: 'o-1' }] as never;
    existing.metadata.deletionTimestamp = '2026-03-04T06:00:00Z';
    const plan = planApply(deployment({ replicas: 3 }), existing, context);
    expect(plan.object.metadata.ownerReferences).toEqual(existing.metadata.ownerReferences);
    expect(plan.object.metadata.deletionTimestamp).toBe('2026-03-04T06:00:00Z');
  });

  it('keeps managedFields a manifest does not carry, and a change of managedFields alone is a change', () => {
    const existing = stored(deployment());
    const entry = { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-03-04T06:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } } as const;
    existing.metadata.managedFields = [{ ...entry, fieldsV1: { 'f:spec': {} } }];
    const plan = planApply(deployment({ replicas: 3 }), existing, context);
    expect(plan.object.metadata.managedFields).toEqual(existing.metadata.managedFields);
    const shared = deployment();
    shared.metadata.managedFields = [...existing.metadata.managedFields, { ...entry, manager: 'other', fieldsV1: { 'f:spec': {} } }];
    expect(planApply(shared, existing, context).outcome).toBe('configured');
  });

  it("keeps a pod's assigned node and a service's cluster IP the manifest leaves out", () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'a:1' }] } };
    const boundPod = stored(pod as ResourceObject);
    (boundPod.spec as Record<string, unknown>).nodeName = 'node-1';
    const podPlan = planApply(structuredClone(pod) as ResourceObject, boundPod, context);
    expect(podPlan.outcome).toBe('unchanged');
    const newImage = structuredClone(pod);
    newImage.spec.containers[0]!.image = 'a:2';
    expect((planApply(newImage as ResourceObject, boundPod, context).object.spec as Record<string, unknown>).nodeName).toBe('node-1');

    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } };
    const allocated = stored(service as ResourceObject);
    (allocated.spec as Record<string, unknown>).clusterIP = '10.96.0.10';
    const servicePlan = planApply(structuredClone(service) as ResourceObject, allocated, context);
    expect((servicePlan.object.spec as Record<string, unknown>).clusterIP).toBe('10.96.0.10');
  });
});

describe('planApply: immutable fields', () => {
  const rejection = (manifest: ResourceObject, existing: ResourceObject): InvalidError => {
    try {
      planApply(manifest, existing, context);
    } catch (error) {
      if (error instanceof InvalidError) return error;
      throw error;
    }
    throw new Error('the apply was accepted');
  };

  it("refuses to change a Deployment's selector", () => {
    const error = rejection(deployment({ selector: { app: 'other' } }), stored(deployment()));
    expect(error.message).toBe('spec.selector: field is immutable; delete and re-create the Deployment to change it');
  });

  it("refuses to change a DaemonSet's selector", () => {
    const daemonSet = (app: string): ResourceObject => {
      const d = deployment({ selector: { app } }) as unknown as { kind: string; spec: Record<string, unknown> };
      delete d.spec['replicas'];
      return { ...d, kind: 'DaemonSet' } as unknown as ResourceObject;
    };
    const error = rejection(daemonSet('other'), stored(daemonSet('web')));
    expect(error.message).toBe('spec.selector: field is immutable; delete and re-create the DaemonSet to change it');
  });

  it('lets a Pod change only its images', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'a:1' }] } };
    const existing = stored(pod as ResourceObject);
    const withPort = structuredClone(pod) as Record<string, any>;
    withPort.spec.containers[0].ports = [{ containerPort: 80 }];
    expect(rejection(withPort as ResourceObject, existing).message).toMatch(/^spec: pod updates may not change fields other than spec\.containers\[\*\]\.image/);
  });

  it('refuses to change an immutable ConfigMap and the type of a Secret', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { a: '1' }, immutable: true };
    const changed = { ...structuredClone(configMap), data: { a: '2' } };
    expect(rejection(changed as ResourceObject, stored(configMap as ResourceObject)).message).toBe(
      'data: field is immutable when immutable is true; delete and re-create the ConfigMap',
    );
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, type: 'Opaque', data: {} };
    const retyped = { ...structuredClone(secret), type: 'kubernetes.io/tls' };
    expect(rejection(retyped as ResourceObject, stored(secret as ResourceObject)).message).toBe(
      'type: field is immutable; delete and re-create the Secret to change its type',
    );
  });
});

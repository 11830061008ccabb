import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, PodPhase } from '@skiff/api';
import {
  buildPod,
  canonicalJson,
  computeStatus,
  newPodName,
  POD_TEMPLATE_HASH_LABEL,
  rankForDeletion,
  templateHash,
} from './deployment-pods.js';
import { Expectations } from './expectations.js';
import { deepFreeze } from '../cache/informer.js';

function deployment(replicas = 3): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'prod', uid: 'uid-1', generation: 4, resourceVersion: '10' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { note: 'x' } },
        spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }] }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
      },
    },
  };
}

function pod(name: string, options: { node?: string; phase?: PodPhase; ready?: boolean; created?: string; hash?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'prod',
      creationTimestamp: options.created ?? '2026-01-01T00:00:00Z',
      labels: { [POD_TEMPLATE_HASH_LABEL]: options.hash ?? 'h' },
    },
    spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('templateHash', () => {
  it('is short, label-safe and independent of key order', () => {
    const a = deployment().spec.template;
    const b = JSON.parse(canonicalJson(a)) as typeof a;
    const reordered = { spec: b.spec, metadata: { annotations: b.metadata?.annotations, labels: b.metadata?.labels } };
    expect(templateHash(deepFreeze(a))).toMatch(/^[a-z0-9]{10}$/);
    expect(templateHash(deepFreeze(reordered))).toBe(templateHash(deepFreeze(deployment().spec.template)));
  });

  it('changes with the spec and with the template labels', () => {
    const base = templateHash(deepFreeze(deployment().spec.template));
    const image = deployment();
    image.spec.template.spec.containers[0]!.image = 'busybox:2';
    const labels = deployment();
    labels.spec.template.metadata!.labels!['tier'] = 'front';
    expect(templateHash(deepFreeze(image.spec.template))).not.toBe(base);
    expect(templateHash(deepFreeze(labels.spec.template))).not.toBe(base);
  });
});

describe('newPodName', () => {
  it('appends five random lowercase alphanumerics and stays a valid DNS label', () => {
    expect(newPodName('web')).toMatch(/^web-[a-z0-9]{5}$/);
    const long = newPodName(`${'a'.repeat(56)}.b-c`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a{56}-[a-z0-9]{5}$/);
    const names = new Set(Array.from({ length: 200 }, () => newPodName('web')));
    expect(names.size).toBeGreaterThan(190);
  });
});

describe('buildPod', () => {
  it('copies the template deeply and points at the deployment as controller', () => {
    const owner = deepFreeze(deployment());
    const built = buildPod(owner, 'abc', 'web-xyz12', new Date('2026-02-03T04:05:06.789Z'), 'pod-uid');
    expect(built.metadata).toEqual({
      name: 'web-xyz12',
      namespace: 'prod',
      uid: 'pod-uid',
      generation: 1,
      creationTimestamp: '2026-02-03T04:05:06Z',
      labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-1', controller: true, blockOwnerDeletion: true }],
    });
    expect(built.status).toEqual({ phase: 'Pending' });
    expect(built.spec).toEqual(owner.spec.template.spec);
    // A copy, not the frozen cached object: it can be edited.
    built.spec.containers[0]!.env!.push({ name: 'B', value: '2' });
    expect(owner.spec.template.spec.containers[0]!.env).toHaveLength(1);
  });
});

describe('rankForDeletion', () => {
  it('deletes unscheduled, then not running, then not ready, then the newest pods first', () => {
    const pods = [
      pod('old-ready', { node: 'n1', created: '2026-01-01T00:00:00Z' }),
      pod('new-ready', { node: 'n1', created: '2026-01-02T00:00:00Z' }),
      pod('not-ready', { node: 'n1', ready: false }),
      pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
      pod('unscheduled', { phase: 'Pending', ready: false }),
    ].map((p) => deepFreeze(p));
    expect(rankForDeletion(pods).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready']);
  });
});

describe('computeStatus', () => {
  it('counts active, updated, ready and unavailable pods', () => {
    const owner = deepFreeze(deployment(4));
    const terminating = pod('gone');
    terminating.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const pods = [
      pod('a', { hash: 'new' }),
      pod('b', { hash: 'new', ready: false }),
      pod('c', { hash: 'old' }),
      pod('failed', { hash: 'new', phase: 'Failed', ready: false }),
      terminating,
    ].map((p) => deepFreeze(p));
    expect(computeStatus(owner, pods, 'new')).toEqual({
      observedGeneration: 4,
      replicas: 3,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 2,
    });
  });
});

describe('Expectations', () => {
  it('holds an owner until every expected create and delete has been observed', () => {
    const expectations = new Expectations();
    expect(expectations.satisfied('ns/web', 'u1')).toBe(true);
    expectations.expectCreations('ns/web', 'u1', ['p1', 'p2']);
    expectations.expectDeletions('ns/web', 'u1', ['p0']);
    expectations.creationObserved('ns/web', 'u1', 'p1');
    expectations.creationObserved('ns/web', 'u1', 'p1');
    expectations.deletionObserved('ns/web', 'u1', 'p0');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(false);
    // An unrelated pod does not count.
    expectations.creationObserved('ns/web', 'u1', 'stranger');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(false);
    expectations.creationObserved('ns/web', 'u1', 'p2');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(true);
  });

  it('ignores a different owner uid (deployment re-created under the same name)', () => {
    const expectations = new Expectations();
    expectations.expectCreations('ns/web', 'old', ['p1']);
    expect(expectations.satisfied('ns/web', 'new')).toBe(true);
    expectations.creationObserved('ns/web', 'new', 'p1');
    expect(expectations.satisfied('ns/web', 'old')).toBe(false);
    expectations.forget('ns/web');
    expect(expectations.satisfied('ns/web', 'old')).toBe(true);
  });

  it('expires after the timeout and reports the time left', () => {
    let now = 1_000;
    const expectations = new Expectations({ timeoutMs: 100, now: () => now });
    expectations.expectCreations('k', 'u', ['p']);
    now += 40;
    expect(expectations.satisfied('k', 'u')).toBe(false);
    expect(expectations.remainingMs('k', 'u')).toBe(60);
    now += 60;
    expect(expectations.satisfied('k', 'u')).toBe(true);
    expect(expectations.remainingMs('k', 'u')).toBe(0);
    // New expectations after expiry start a fresh record.
    expectations.expectDeletions('k', 'u', ['q']);
    expect(expectations.satisfied('k', 'u')).toBe(false);
    expectations.deletionObserved('k', 'u', 'q');
    expect(expectations.satisfied('k', 'u')).toBe(true);
  });
});

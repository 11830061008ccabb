import { describe, expect, it } from 'vitest';
import { revisionOf, rolloutStatus, templateWithoutHash, POD_TEMPLATE_HASH_LABEL } from './deployments.js';
import type { Deployment, DeploymentStatus } from './workload-types.js';

function deployment(replicas: number, status: DeploymentStatus, generation = 2): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation },
    spec: { replicas, selector: {}, template: { spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } } },
    status,
  };
}

describe("rolloutStatus (kubectl's DeploymentStatusViewer)", () => {
  it.each([
    [deployment(3, { observedGeneration: 1 }), 'Waiting for deployment spec update to be observed...', false],
    [deployment(3, { observedGeneration: 2, updatedReplicas: 1, replicas: 4 }), 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', false],
    [deployment(3, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 }), 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...', false],
    [deployment(3, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 1 }), 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...', false],
    [deployment(3, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 'deployment "web" successfully rolled out', true],
  ] as const)('%#: %s', (d, message, done) => {
    expect(rolloutStatus(d)).toEqual({ message, done });
  });

  it('fails once the progress deadline passed', () => {
    const d = deployment(3, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(rolloutStatus(d)).toEqual({ message: '', done: false, error: 'deployment "web" exceeded its progress deadline' });
  });
});

describe('revisions and templates', () => {
  it('reads the revision annotation, 0 when absent or not a number', () => {
    expect(revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': '7' } } })).toBe(7);
    expect(revisionOf({ metadata: {} })).toBe(0);
    expect(revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': 'x' } } })).toBe(0);
  });

  it('drops the pod-template-hash label (and an emptied metadata) from a template copy', () => {
    const template = { metadata: { labels: { [POD_TEMPLATE_HASH_LABEL]: 'abc' } }, spec: { containers: [], restartPolicy: 'Always' as const, terminationGracePeriodSeconds: 30 } };
    expect(templateWithoutHash(template)).toEqual({ spec: template.spec });
    expect(template.metadata.labels[POD_TEMPLATE_HASH_LABEL]).toBe('abc');
  });
});

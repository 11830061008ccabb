import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { daemonSetRolloutStatus, withDaemonPodTolerations } from './daemon-sets.js';
import type { DaemonSet, DaemonSetStatus } from './workload-types.js';
import { formatIssue, validateManifest } from './validate.js';

function manifest(spec: string, labels = '{ app: logs }'): unknown {
  return parse(`apiVersion: apps/v1
kind: DaemonSet
metadata: { name: logs }
spec:
  selector: { matchLabels: { app: logs } }
  template:
    metadata: { labels: ${labels} }
    spec:
      containers: [{ name: main, image: busybox:1.36 }]
${spec.replace(/^/gm, '  ')}
`) as unknown;
}

const errors = (spec: string, labels?: string): string[] => validateManifest(manifest(spec, labels)).errors.map(formatIssue);

describe('DaemonSet manifests', () => {
  it('default as Kubernetes: RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10', () => {
    const result = validateManifest(manifest(''));
    expect(result.errors).toEqual([]);
    const ds = result.object as DaemonSet;
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.spec.template.spec.restartPolicy).toBe('Always');
    const onDelete = validateManifest(manifest('updateStrategy: { type: OnDelete }')).object as DaemonSet;
    expect(onDelete.spec.updateStrategy).toEqual({ type: 'OnDelete' });
  });

  it.each([
    ['a selector that does not match the template', '', '{ app: other }', 'spec.selector: selector does not match template labels: "app=logs" does not select {"app":"other"}'],
    ['an unknown strategy', 'updateStrategy: { type: Recreate }', undefined, 'spec.updateStrategy.type: must be one of RollingUpdate, OnDelete'],
    ['a bad maxUnavailable', 'updateStrategy: { rollingUpdate: { maxUnavailable: lots } }', undefined, 'spec.updateStrategy.rollingUpdate.maxUnavailable: must be a non-negative integer or a percentage like 25%'],
    ['more than 100%', 'updateStrategy: { rollingUpdate: { maxUnavailable: 120% } }', undefined, 'spec.updateStrategy.rollingUpdate.maxUnavailable: must not be greater than 100%'],
    ['a zero maxUnavailable', 'updateStrategy: { rollingUpdate: { maxUnavailable: 0 } }', undefined, 'spec.updateStrategy.rollingUpdate.maxUnavailable: may not be 0 when maxSurge is 0 (the update could never make progress)'],
    ['a surge', 'updateStrategy: { rollingUpdate: { maxSurge: 1 } }', undefined, 'spec.updateStrategy.rollingUpdate.maxSurge: must be 0: Skiff replaces a daemon pod only after deleting the old one (set maxUnavailable instead)'],
    ['rollingUpdate with OnDelete', 'updateStrategy: { type: OnDelete, rollingUpdate: { maxUnavailable: 1 } }', undefined, 'spec.updateStrategy.rollingUpdate: may not be specified when updateStrategy type is OnDelete'],
    ['a negative minReadySeconds', 'minReadySeconds: -1', undefined, 'spec.minReadySeconds: must be >= 0'],
  ])('refuses %s with its field path', (_what, spec, labels, message) => {
    expect(errors(spec, labels)).toContain(message);
  });

  it('refuses a restartPolicy other than Always', () => {
    const doc = manifest('') as { spec: { template: { spec: Record<string, unknown> } } };
    doc.spec.template.spec['restartPolicy'] = 'Never';
    expect(validateManifest(doc).errors.map(formatIssue)).toContain('spec.template.spec.restartPolicy: must be Always for a DaemonSet');
  });
});

describe('withDaemonPodTolerations', () => {
  it('adds the six daemon tolerations after the pod’s own, replacing one with the same key and effect', () => {
    const result = withDaemonPodTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }, { key: 'x', operator: 'Exists' }]);
    expect(result.map((t) => `${t.key}:${t.effect ?? ''}${t.tolerationSeconds === undefined ? '' : `/${t.tolerationSeconds}`}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'x:',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
  });
});

describe("daemonSetRolloutStatus (kubectl's DaemonSetStatusViewer)", () => {
  const ds = (status: Partial<DaemonSetStatus>, type: 'RollingUpdate' | 'OnDelete' = 'RollingUpdate'): DaemonSet => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'logs', generation: 2 },
    spec: { selector: {}, template: { spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } }, updateStrategy: { type } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, ...status },
  });
  it.each([
    [ds({ observedGeneration: 1 }), 'Waiting for daemon set spec update to be observed...', false],
    [ds({ observedGeneration: 2, updatedNumberScheduled: 1 }), 'Waiting for daemon set "logs" rollout to finish: 1 out of 3 new pods have been updated...', false],
    [ds({ observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 2 }), 'Waiting for daemon set "logs" rollout to finish: 2 of 3 updated pods are available...', false],
    [ds({ observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 3 }), 'daemon set "logs" successfully rolled out', true],
  ] as const)('%#: %s', (d, message, done) => {
    expect(daemonSetRolloutStatus(d)).toEqual({ message, done });
  });
  it('refuses OnDelete as kubectl does', () => {
    expect(daemonSetRolloutStatus(ds({}, 'OnDelete')).error).toBe('rollout status is only available for RollingUpdate strategy type');
  });
});

import { describe, expect, it } from 'vitest';
import type { DaemonSet, Deployment, ReplicaSet } from '@skiff/api';
import { daemonSetSummary, deploymentSummary, replicaSetSummary } from './describe-workload.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always' as const, terminationGracePeriodSeconds: 30 } };

function rs(name: string, revision: number, replicas: number, current: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, annotations: { 'deployment.kubernetes.io/revision': String(revision) } },
    spec: { replicas, selector: {}, template },
    status: { replicas: current },
  };
}

describe('describe of deployments and replica sets', () => {
  it("sums a deployment up as kubectl does: replicas, strategy, conditions, old and new replica sets", () => {
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { replicas: 3, selector: {}, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } } },
      status: {
        replicas: 4,
        updatedReplicas: 2,
        availableReplicas: 3,
        unavailableReplicas: 1,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
        ],
      },
    };
    const lines = deploymentSummary(deployment, [rs('web-new', 2, 2, 2), rs('web-old', 1, 2, 2), rs('web-older', 0, 0, 0)]);
    expect(lines.join('\n')).toBe(
      [
        'Replicas:               3 desired | 2 updated | 4 total | 3 available | 1 unavailable',
        'StrategyType:           RollingUpdate',
        'MinReadySeconds:        0',
        'RollingUpdateStrategy:  25% max unavailable, 1 max surge',
        'Conditions:',
        '  Type          Status   Reason',
        '  Available     True     MinimumReplicasAvailable',
        '  Progressing   True     ReplicaSetUpdated',
        'OldReplicaSets: web-old (2/2 replicas created)',
        'NewReplicaSet:  web-new (2/2 replicas created)',
      ].join('\n'),
    );
  });

  it('counts a replica set’s pods by phase', () => {
    const pod = (phase: 'Running' | 'Pending' | 'Failed') => ({
      apiVersion: 'v1' as const,
      kind: 'Pod' as const,
      metadata: { name: phase },
      spec: template.spec,
      status: { phase },
    });
    expect(replicaSetSummary(rs('web-new', 1, 3, 3), [pod('Running'), pod('Running'), pod('Pending'), pod('Failed')])).toEqual([
      'Replicas:     3 current / 3 desired',
      'Pods Status:  2 Running / 1 Waiting / 0 Succeeded / 1 Failed',
    ]);
  });

  it('sums a daemon set up as kubectl does: node selector, node counts, pods by phase, strategy', () => {
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'logs' },
      spec: { selector: {}, template: { ...template, spec: { ...template.spec, nodeSelector: { role: 'edge' } } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 1, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 1 },
    };
    const pod = { apiVersion: 'v1' as const, kind: 'Pod' as const, metadata: { name: 'p' }, spec: template.spec, status: { phase: 'Running' as const } };
    expect(daemonSetSummary(ds, [pod, pod, { ...pod, status: { phase: 'Pending' as const } }])).toEqual([
      'Node-Selector:  role=edge',
      'Desired Number of Nodes Scheduled: 3',
      'Current Number of Nodes Scheduled: 3',
      'Number of Nodes Scheduled with Up-to-date Pods: 1',
      'Number of Nodes Scheduled with Available Pods: 2',
      'Number of Nodes Misscheduled: 1',
      'Pods Status:  2 Running / 1 Waiting / 0 Succeeded / 0 Failed',
      'StrategyType:           RollingUpdate',
      'RollingUpdateStrategy:  1 max unavailable, 0 max surge',
    ]);
  });
});

import { kindInfo, type Event, type Namespace, type Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { describeObject } from './describe-object.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-7d4b9c-x2x9q',
    namespace: 'shop',
    uid: '6f1c0d2e',
    resourceVersion: '42',
    generation: 1,
    creationTimestamp: ago(200),
    labels: { app: 'web', 'pod-template-hash': '7d4b9c' },
    annotations: { note: 'hi' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }],
  },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, nodeName: 'node-a' },
  status: { phase: 'Running', podIP: '10.244.1.7' },
};

function event(reason: string, type: 'Normal' | 'Warning', seen: { first: number; last?: number; count?: number }, message: string, component: string): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web.${reason}`, namespace: 'shop', creationTimestamp: ago(seen.first) },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-7d4b9c-x2x9q' },
    reason,
    message,
    type,
    count: seen.count ?? 1,
    firstTimestamp: ago(seen.first),
    lastTimestamp: ago(seen.last ?? seen.first),
    source: { component },
  };
}

describe('describeObject', () => {
  it('prints metadata fields, then each other section as YAML, then the events table, oldest first, repeats counted', () => {
    const events = [
      event('Unhealthy', 'Warning', { first: 150, last: 30, count: 4 }, 'Readiness probe failed\n', 'agent'),
      event('Scheduled', 'Normal', { first: 190 }, 'Successfully assigned shop/web-7d4b9c-x2x9q to node-a', 'scheduler'),
      event('Started', 'Normal', { first: 185 }, 'Started container main', 'agent'),
    ];
    expect(describeObject(kindInfo('Pod'), pod, events, NOW)).toBe(
      [
        'Name:              web-7d4b9c-x2x9q',
        'Namespace:         shop',
        'Kind:              Pod',
        'API Version:       v1',
        'Labels:            app=web',
        '                   pod-template-hash=7d4b9c',
        'Annotations:       note=hi',
        `Created:           ${ago(200)} (3m20s ago)`,
        'UID:               6f1c0d2e',
        'Resource Version:  42',
        'Generation:        1',
        'Controlled By:     Deployment/web',
        'Spec:',
        '  containers:',
        '    - name: main',
        '      image: busybox:1.36',
        '  restartPolicy: Always',
        '  terminationGracePeriodSeconds: 30',
        '  nodeName: node-a',
        'Status:',
        '  phase: Running',
        '  podIP: 10.244.1.7',
        'Events:',
        '  Type      Reason      Age                   From        Message',
        '  Normal    Scheduled   3m10s                 scheduler   Successfully assigned shop/web-7d4b9c-x2x9q to node-a',
        '  Normal    Started     3m5s                  agent       Started container main',
        '  Warning   Unhealthy   30s (x4 over 2m30s)   agent       Readiness probe failed',
        '',
      ].join('\n'),
    );
  });

  it('leaves out Namespace for cluster-scoped kinds and says <none> for what is missing', () => {
    const namespace: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    expect(describeObject(kindInfo('Namespace'), namespace, [], NOW)).toBe(
      [
        'Name:              shop',
        'Kind:              Namespace',
        'API Version:       v1',
        'Labels:            <none>',
        'Annotations:       <none>',
        'Created:           <unknown>',
        'UID:               <none>',
        'Resource Version:  <none>',
        'Generation:        <none>',
        'Events:            <none>',
        '',
      ].join('\n'),
    );
  });
});

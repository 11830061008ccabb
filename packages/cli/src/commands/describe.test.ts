import { kindInfo, type Event, type Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { eventIsAbout } from './describe.js';

const POD = kindInfo('Pod');
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', uid: 'now' }, spec: { containers: [] } } as unknown as Pod;
const event = (involvedObject: Event['involvedObject']): Event => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web.1', namespace: 'shop' },
  involvedObject,
  type: 'Normal',
  reason: 'Started',
  message: 'Started container main',
});

describe('eventIsAbout (ctl describe)', () => {
  it.each<[string, Event['involvedObject'], boolean]>([
    ['the pod, by uid', { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'now', fieldPath: 'spec.containers{main}' }, true],
    ['the pod, by name (no uid)', { kind: 'Pod', namespace: 'shop', name: 'web' }, true],
    ['an earlier pod of the same name', { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'before' }, false],
    ['another pod', { kind: 'Pod', namespace: 'shop', name: 'api', uid: 'now' }, false],
    ['a Deployment of the same name', { kind: 'Deployment', namespace: 'shop', name: 'web' }, false],
  ])('%s: %s', (_label, involved, about) => {
    expect(eventIsAbout(event(involved), POD, pod)).toBe(about);
  });
});

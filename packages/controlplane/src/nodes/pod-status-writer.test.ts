// The node's final removal of a pod it stopped (removeTerminated), over the in-memory store.
import { FailedPreconditionError, kindInfo, NotFoundError, type Pod } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectStore } from '../objects/object-store.js';
import { deletePod } from '../objects/pod-deletion.js';
import { MemoryStore } from '../store/index.js';
import { writePodStatus } from './pod-status-writer.js';

const POD = kindInfo('Pod');

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1' },
    spec: { containers: [{ name: 'app', image: 'busybox:1' }], terminationGracePeriodSeconds: 30, nodeName: 'n1' },
  } as Pod;
}

describe('the node removes the pod it stopped (writePodStatus with removeTerminated)', () => {
  let objects: ObjectStore;
  const report = { nodeName: 'n1', namespace: 'shop', name: 'web', uid: 'uid-1', statusJson: JSON.stringify({ phase: 'Failed' }), removeTerminated: true };

  beforeEach(async () => {
    objects = new ObjectStore(new MemoryStore());
  });

  it('removes a pod being deleted once its node says it stopped', async () => {
    await objects.create(POD, pod());
    await deletePod(objects, 'shop', 'web');
    const last = await writePodStatus(objects, report);
    expect(last.status?.phase).toBe('Failed');
    expect(await objects.get(POD, 'shop', 'web')).toBeUndefined();
  });

  it('refuses to remove a pod nobody deleted, one bound elsewhere, or another incarnation', async () => {
    await objects.create(POD, pod());
    await rejectionOf(writePodStatus(objects, report), FailedPreconditionError);
    await deletePod(objects, 'shop', 'web');
    await rejectionOf(writePodStatus(objects, { ...report, nodeName: 'n2' }), FailedPreconditionError);
    await rejectionOf(writePodStatus(objects, { ...report, uid: 'uid-0' }), NotFoundError);
    expect(await objects.get(POD, 'shop', 'web')).toBeDefined();
  });
});

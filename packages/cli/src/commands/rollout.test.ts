// ctl rollout … and ctl set image against a TLS Api server in the test whose
// handlers keep objects in a map, comparing resourceVersions on Apply as the
// real server does (the real cluster: test/e2e/rollouts-across-hosts.test.ts).
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet, ResourceObject } from '@skiff/api';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

const objects = new Map<string, ResourceObject>();
let applies = 0;
let server: TestApiServer;
let kubeconfig = '';

const key = (kind: string, name: string): string => `${kind.toLowerCase().replace(/s$/, '')}/${name}`;

function deployment(overrides: Partial<Deployment['spec']> = {}, status: Deployment['status'] = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', resourceVersion: '1', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }, { name: 'side', image: 'side:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } },
      ...overrides,
    },
    status,
  };
}

function replicaSet(revision: number, image: string, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${revision}`,
      namespace: 'default',
      annotations: { 'deployment.kubernetes.io/revision': String(revision), ...annotations },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': `h${revision}` } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } }, spec: { containers: [{ name: 'web', image }, { name: 'side', image: 'side:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } },
    },
  };
}

beforeAll(async () => {
  server = await startTestApiServer({
    Get(call: ServerUnaryCall<{ ref: { kind: string; name: string } }, unknown>, callback: sendUnaryData<unknown>) {
      const found = objects.get(key(call.request.ref.kind, call.request.ref.name));
      if (!found) callback({ code: status.NOT_FOUND, details: `${call.request.ref.kind} "${call.request.ref.name}" not found` }, null);
      else callback(null, { object_json: JSON.stringify(found) });
    },
    List(call: ServerUnaryCall<{ kind: string }, unknown>, callback: sendUnaryData<unknown>) {
      const items = [...objects.entries()].filter(([k]) => k.startsWith(`${key(call.request.kind, '')}`)).map(([, v]) => JSON.stringify(v));
      callback(null, { items_json: items, resource_version: '9' });
    },
    Apply(call: ServerUnaryCall<{ manifest_json: string }, unknown>, callback: sendUnaryData<unknown>) {
      const manifest = JSON.parse(call.request.manifest_json) as ResourceObject;
      const k = key(manifest.kind, manifest.metadata.name);
      const stored = objects.get(k);
      if (stored?.metadata.resourceVersion !== manifest.metadata.resourceVersion) {
        callback({ code: status.ABORTED, details: 'the object has been modified' }, null);
        return;
      }
      applies++;
      const written = { ...manifest, status: stored?.status, metadata: { ...stored?.metadata, ...manifest.metadata, resourceVersion: String(Number(stored?.metadata.resourceVersion ?? 0) + 1) } };
      objects.set(k, written);
      callback(null, { outcome: 'configured', object_json: JSON.stringify(written), warnings: [] });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

beforeEach(() => {
  objects.clear();
  applies = 0;
  objects.set('deployment/web', deployment());
  objects.set('replicaset/web-1', replicaSet(1, 'web:1', { 'kubernetes.io/change-cause': 'first', note: 'from rs' }));
  objects.set('replicaset/web-2', replicaSet(2, 'web:2'));
});

async function ctl(...args: string[]): Promise<{ stdout: string; error?: string }> {
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, ...args]);
  const error = run.error === undefined ? undefined : run.error instanceof Error ? run.error.message : String(run.error);
  return error === undefined ? { stdout: run.stdout } : { stdout: run.stdout, error };
}

const stored = (): Deployment => objects.get('deployment/web') as Deployment;

describe('ctl set image', () => {
  it('sets one container, keeps the others, and writes with the resourceVersion read', async () => {
    expect(await ctl('set', 'image', 'deployment/web', 'web=web:3')).toEqual({ stdout: 'deployment.apps/web image updated\n' });
    expect(stored().spec.template.spec.containers.map((c) => c.image)).toEqual(['web:3', 'side:1']);
    expect(stored().metadata.resourceVersion).toBe('2');
  });

  it('* sets every container; an unknown container is an error and writes nothing', async () => {
    await ctl('set', 'image', 'deploy/web', '*=all:1');
    expect(stored().spec.template.spec.containers.map((c) => c.image)).toEqual(['all:1', 'all:1']);
    expect(await ctl('set', 'image', 'deployment/web', 'nope=x:1')).toEqual({ stdout: '', error: 'error: unable to find container named "nope"' });
    expect(applies).toBe(1);
  });
});

describe('ctl rollout', () => {
  it('pause and resume set spec.paused, refusing to repeat themselves', async () => {
    expect(await ctl('rollout', 'pause', 'deployment/web')).toEqual({ stdout: 'deployment.apps/web paused\n' });
    expect(stored().spec.paused).toBe(true);
    expect((await ctl('rollout', 'pause', 'deployment/web')).error).toBe('error: deployments.apps "web" is already paused');
    expect(await ctl('rollout', 'resume', 'deployment/web')).toEqual({ stdout: 'deployment.apps/web resumed\n' });
    expect(stored().spec.paused).toBeUndefined();
    expect((await ctl('rollout', 'resume', 'deployment/web')).error).toBe('error: deployments.apps "web" is not paused');
  });

  it('restart stamps the pod template with restartedAt', async () => {
    expect(await ctl('rollout', 'restart', 'deployment/web')).toEqual({ stdout: 'deployment.apps/web restarted\n' });
    expect(stored().spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('history lists revisions with their change causes', async () => {
    expect(await ctl('rollout', 'history', 'deployment/web')).toEqual({
      stdout: 'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         first\n2         <none>\n\n',
    });
    expect((await ctl('rollout', 'history', 'deployment/web', '--revision', '1')).stdout).toMatch(/^deployment\.apps\/web with revision #1\nPod Template:\n[\s\S]*image: web:1/);
  });

  it('undo puts the previous template back without the hash label, with the ReplicaSet annotations', async () => {
    expect(await ctl('rollout', 'undo', 'deployment/web')).toEqual({ stdout: 'deployment.apps/web rolled back\n' });
    expect(stored().spec.template).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'side', image: 'side:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    });
    expect(stored().metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'first', note: 'from rs' });
  });

  it('undo --to-revision names the revision; a missing one, the current one and a paused deployment are refused', async () => {
    expect(await ctl('rollout', 'undo', 'deployment/web', '--to-revision', '2')).toEqual({
      stdout: 'deployment.apps/web skipped rollback (current template already matches revision 2)\n',
    });
    expect((await ctl('rollout', 'undo', 'deployment/web', '--to-revision', '7')).error).toBe('error: unable to find specified revision 7 in history');
    objects.set('deployment/web', deployment({ paused: true }));
    expect((await ctl('rollout', 'undo', 'deployment/web')).error).toMatch(/^error: you cannot rollback a paused deployment/);
    expect(applies).toBe(0);
  });

  it('status prints where the rollout is, succeeds once rolled out, fails once the deadline passed', async () => {
    objects.set('deployment/web', deployment({}, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 1 }));
    expect(await ctl('rollout', 'status', 'deployment/web', '--watch=false')).toEqual({
      stdout: 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n',
    });
    objects.set('deployment/web', deployment({}, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }));
    expect(await ctl('rollout', 'status', 'deployment/web')).toEqual({ stdout: 'deployment "web" successfully rolled out\n' });
    objects.set('deployment/web', deployment({}, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    expect(await ctl('rollout', 'status', 'deployment/web')).toEqual({ stdout: '', error: 'error: deployment "web" exceeded its progress deadline' });
    objects.set('deployment/web', deployment({}, { observedGeneration: 1 }));
    expect(await ctl('rollout', 'status', 'deployment/web', '--timeout', '300ms')).toEqual({
      stdout: 'Waiting for deployment spec update to be observed...\n',
      error: 'error: timed out waiting for the condition',
    });
    expect((await ctl('rollout', 'status', 'replicaset/web-1')).error).toBe('error: no status viewer has been implemented for ReplicaSet; only deployments and daemon sets roll');
  });
})

  it('status follows a daemon set with kubectl\'s words, and refuses an OnDelete one', async () => {
    const ds = (status: Record<string, number>, type = 'RollingUpdate') => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'logs', namespace: 'default', generation: 2 },
      spec: { selector: {}, template: { spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } }, updateStrategy: { type } },
      status: { observedGeneration: 2, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, ...status },
    });
    objects.set(key('daemonsets', 'logs'), ds({ updatedNumberScheduled: 1, numberAvailable: 3 }) as ResourceObject);
    expect(await ctl('rollout', 'status', 'ds/logs', '--watch=false')).toEqual({
      stdout: 'Waiting for daemon set "logs" rollout to finish: 1 out of 3 new pods have been updated...\n',
    });
    objects.set(key('daemonsets', 'logs'), ds({ updatedNumberScheduled: 3, numberAvailable: 3 }) as ResourceObject);
    expect(await ctl('rollout', 'status', 'daemonset', 'logs')).toEqual({ stdout: 'daemon set "logs" successfully rolled out\n' });
    objects.set(key('daemonsets', 'logs'), ds({}, 'OnDelete') as ResourceObject);
    expect((await ctl('rollout', 'status', 'daemonset/logs')).error).toBe('error: rollout status is only available for RollingUpdate strategy type');
  });;

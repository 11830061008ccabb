// ctl autoscale, ctl get hpa and ctl describe hpa against a TLS Api server in
// the test whose handlers keep objects in a map (the real server and
// controller: packages/controlplane's HPA tests).
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveKind, validateManifest, type HorizontalPodAutoscaler, type ResourceObject } from '@skiff/api';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

const objects = new Map<string, ResourceObject>();
const applied: ResourceObject[] = [];
let server: TestApiServer;
let kubeconfig = '';

const key = (kind: string, name: string): string => `${resolveKind(kind)?.plural ?? kind}/${name}`;
const CREATED = new Date(Date.now() - (48 * 3600 + 1800) * 1000).toISOString();

beforeAll(async () => {
  server = await startTestApiServer({
    Get(call: ServerUnaryCall<{ ref: { kind: string; name: string } }, unknown>, callback: sendUnaryData<unknown>) {
      const { kind, name } = call.request.ref;
      const found = objects.get(key(kind, name));
      if (!found) callback({ code: status.NOT_FOUND, details: `${resolveKind(kind)?.plural ?? kind}.${kind === 'deployments' ? 'apps' : 'autoscaling'} "${name}" not found` }, null);
      else callback(null, { object_json: JSON.stringify(found) });
    },
    List(call: ServerUnaryCall<{ kind: string }, unknown>, callback: sendUnaryData<unknown>) {
      const prefix = `${resolveKind(call.request.kind)?.plural ?? call.request.kind}/`;
      const items = [...objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => JSON.stringify(v));
      callback(null, { items_json: items, resource_version: '9' });
    },
    Apply(call: ServerUnaryCall<{ manifest_json: string }, unknown>, callback: sendUnaryData<unknown>) {
      // As the server: validated and defaulted.
      const result = validateManifest(JSON.parse(call.request.manifest_json), { strict: true });
      if (!result.object) {
        callback({ code: status.INVALID_ARGUMENT, details: result.errors.map((e) => `${e.path}: ${e.message}`).join('; ') }, null);
        return;
      }
      const written = { ...result.object, metadata: { ...result.object.metadata, creationTimestamp: CREATED, uid: 'hpa-uid' } };
      applied.push(written);
      objects.set(key(written.kind, written.metadata.name), written);
      callback(null, { outcome: 'created', object_json: JSON.stringify(written), warnings: [] });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

beforeEach(() => {
  objects.clear();
  applied.length = 0;
  objects.set('deployments/web', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } } as ResourceObject);
});

async function ctl(...args: string[]): Promise<{ stdout: string; error?: string }> {
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, ...args]);
  return { stdout: run.stdout, ...(run.error === undefined ? {} : { error: run.error instanceof Error ? run.error.message : String(run.error) }) };
}

describe('ctl autoscale', () => {
  it('creates the HorizontalPodAutoscaler kubectl would, and prints kubectl\'s line', async () => {
    expect(await ctl('autoscale', 'deployment', 'web', '--min', '2', '--max', '10', '--cpu-percent', '60')).toEqual({ stdout: 'horizontalpodautoscaler.autoscaling/web autoscaled\n' });
    expect((applied[0] as HorizontalPodAutoscaler).spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
  });

  it('leaves --min and --cpu-percent to the server\'s defaults, takes deployment/NAME and --name', async () => {
    expect(await ctl('autoscale', 'deployment/web', '--max', '3', '--name', 'web-hpa')).toEqual({ stdout: 'horizontalpodautoscaler.autoscaling/web-hpa autoscaled\n' });
    expect((applied[0] as HorizontalPodAutoscaler).spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 80 } } }] });
  });

  it.each<[string, string[], string]>([
    ['no --max', ['deployment', 'web'], 'error: --max=MAXPODS is required and must be at least 1, max: -1'],
    ['--min above --max', ['deployment', 'web', '--min', '5', '--max', '3'], 'error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 3, min: 5'],
    ['a --cpu-percent that is no number', ['deployment', 'web', '--max', '3', '--cpu-percent', 'lots'], 'error: --cpu-percent must be a whole number, not "lots"'],
    ['a kind without scale', ['pod', 'web', '--max', '3'], 'error: cannot autoscale a Pod: only deployments and replica sets have a scale subresource'],
    ['a missing deployment', ['deployment', 'nope', '--max', '3'], 'Error from server (NotFound): deployments.apps "nope" not found'],
  ])('refuses %s, creating nothing', async (_name, args, message) => {
    expect((await ctl('autoscale', ...args)).error).toBe(message);
    expect(applied).toEqual([]);
  });

  it('refuses to replace an existing autoscaler, as kubectl does', async () => {
    await ctl('autoscale', 'deployment', 'web', '--max', '3');
    expect((await ctl('autoscale', 'deployment', 'web', '--max', '5')).error).toBe('Error from server (AlreadyExists): horizontalpodautoscalers.autoscaling "web" already exists');
    expect(applied).toHaveLength(1);
  });
});

describe('ctl get hpa and ctl describe hpa', () => {
  it('shows kubectl\'s columns, <unknown> until the controller has measured, then current/target', async () => {
    await ctl('autoscale', 'deployment', 'web', '--min', '2', '--max', '10', '--cpu-percent', '60');
    expect((await ctl('get', 'hpa')).stdout).toBe(
      'NAME   REFERENCE        TARGETS              MINPODS   MAXPODS   REPLICAS   AGE\n' + 'web    Deployment/web   cpu: <unknown>/60%   2         10        0          2d\n',
    );
    const hpa = objects.get('horizontalpodautoscalers/web') as HorizontalPodAutoscaler;
    hpa.status = {
      currentReplicas: 3,
      desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45, averageValue: '45m' } } }],
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size', lastTransitionTime: CREATED },
        { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', lastTransitionTime: CREATED },
      ],
    };
    expect((await ctl('get', 'horizontalpodautoscalers.autoscaling', 'web')).stdout).toBe(
      'NAME   REFERENCE        TARGETS        MINPODS   MAXPODS   REPLICAS   AGE\n' + 'web    Deployment/web   cpu: 45%/60%   2         10        3          2d\n',
    );
    const described = (await ctl('describe', 'hpa', 'web')).stdout;
    const pad = (label: string): string => `${label}:`.padEnd(55);
    expect(described).toContain(
      [
        `${pad('Reference')}Deployment/web`,
        `${pad('Metrics')}( current / target )`,
        '  resource cpu on pods  (as a percentage of request):  45% (45m) / 60%',
        `${pad('Min replicas')}2`,
        `${pad('Max replicas')}10`,
        `${pad('Deployment pods')}3 current / 3 desired`,
        'Conditions:',
      ].join('\n'),
    );
    expect(described).toMatch(/Conditions:\n {2}Type +Status +Reason +Message\n {2}AbleToScale +True +ReadyForNewScale +recommended size matches current size\n/);
  });
});

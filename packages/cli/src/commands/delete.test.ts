// ctl delete against a TLS Api server in the test: kubectl's grace-period
// rules (--force, --now, 0 → 1), the warning and "force deleted", --cascade
// (sent as the propagation policy), and --wait, which returns once the object
// (that uid) is gone.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';
import { cascadeOf, gracePeriodOf, IMMEDIATE_DELETION_WARNING } from './delete.js';

interface DeleteRequest {
  ref: { kind: string; namespace: string; name: string };
  grace_period_seconds?: number;
  propagation_policy?: string;
}

const asked: DeleteRequest[] = [];
/** How many more Gets answer that the pod is still there (terminating). */
let getsUntilGone = 0;
let gets = 0;
let server: TestApiServer;
let kubeconfig = '';

const terminatingPod = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: 'u1', deletionTimestamp: '2026-01-01T00:00:30Z' }, spec: { containers: [] } });

beforeAll(async () => {
  server = await startTestApiServer({
    Delete(call: ServerUnaryCall<DeleteRequest, unknown>, callback: sendUnaryData<unknown>) {
      asked.push(call.request);
      const force = call.request.grace_period_seconds === 0;
      callback(null, { object_json: force ? JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: call.request.ref.name, uid: 'u1' }, spec: { containers: [] } }) : terminatingPod(call.request.ref.name) });
    },
    Get(call: ServerUnaryCall<{ ref: { name: string } }, unknown>, callback: sendUnaryData<unknown>) {
      gets++;
      if (getsUntilGone-- > 0) callback(null, { object_json: terminatingPod(call.request.ref.name) });
      else callback({ code: status.NOT_FOUND, details: `pods "${call.request.ref.name}" not found` });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

beforeEach(() => {
  asked.length = 0;
  gets = 0;
  getsUntilGone = 0;
});

const ctlDelete = (...args: string[]) => runCtlInProcess(['--kubeconfig', kubeconfig, 'delete', 'pod', 'web', ...args]);

describe('ctl delete', () => {
  it('asks for the pod’s own grace period by default, and waits until it is gone', async () => {
    getsUntilGone = 2;
    const run = await ctlDelete();
    expect(run).toEqual({ stdout: 'pod "web" deleted\n', stderr: '' });
    expect(asked[0]?.grace_period_seconds).toBeUndefined();
    expect(gets).toBe(3);
  });

  it('--wait=false returns while the pod is still terminating', async () => {
    getsUntilGone = 5;
    expect((await ctlDelete('--wait=false')).stdout).toBe('pod "web" deleted\n');
    expect(gets).toBe(0);
  });

  it('--grace-period N is sent as asked; --force --grace-period 0 warns and says "force deleted"', async () => {
    await ctlDelete('--grace-period', '7');
    expect(asked[0]?.grace_period_seconds).toBe(7);
    const forced = await ctlDelete('--force', '--grace-period', '0');
    expect(forced).toEqual({ stdout: 'pod "web" force deleted\n', stderr: `${IMMEDIATE_DELETION_WARNING}\n` });
    expect(asked[1]?.grace_period_seconds).toBe(0);
  });

  it('sends --cascade as the propagation policy, background by default', async () => {
    await ctlDelete('--wait=false');
    await ctlDelete('--wait=false', '--cascade=foreground');
    await ctlDelete('--wait=false', '--cascade', 'orphan');
    expect(asked.map((request) => request.propagation_policy)).toEqual(['Background', 'Foreground', 'Orphan']);
    const wrong = await ctlDelete('--cascade=sideways');
    expect((wrong.error as Error).message).toBe('error: invalid cascade value (sideways). Must be "background", "foreground", or "orphan".');
    expect(asked).toHaveLength(3);
  });

  it('gives up waiting after --timeout, naming the object', async () => {
    getsUntilGone = 1_000_000;
    const run = await ctlDelete('--timeout', '300ms');
    expect(run.stderr).toBe('error: timed out waiting for the condition on pods/web\n');
    expect(run.error).toBeInstanceOf(Error);
  });
});

describe('gracePeriodOf (kubectl’s rules)', () => {
  const of = (gracePeriod: string, force = false, now = false) => gracePeriodOf({ gracePeriod, force, now });
  it('leaves -1 to the object, turns 0 into 1 without --force, and --force alone into 0', () => {
    expect(of('-1')).toBeUndefined();
    expect(of('30')).toBe(30);
    expect(of('0')).toBe(1);
    expect(of('0', true)).toBe(0);
    expect(of('-1', true)).toBe(0);
    expect(of('5', true)).toBe(5);
    expect(of('-1', false, true)).toBe(1);
  });
  it('refuses what is not a whole number, and --now with --grace-period', () => {
    expect(() => of('soon')).toThrow('error: --grace-period must be a whole number of seconds, not soon');
    expect(() => of('3', false, true)).toThrow('error: --now and --grace-period cannot be specified together');
  });
});

describe('cascadeOf (kubectl’s --cascade)', () => {
  it('takes the three modes and the deprecated booleans, with kubectl’s warning', () => {
    const written: string[] = [];
    const context = { stderr: { write: (text: string) => written.push(text) } } as unknown as Parameters<typeof cascadeOf>[1];
    expect(cascadeOf(true, context)).toBe('Background');
    expect(cascadeOf('foreground', context)).toBe('Foreground');
    expect(cascadeOf('false', context)).toBe('Orphan');
    expect(written).toEqual(['warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.\n']);
  });
});

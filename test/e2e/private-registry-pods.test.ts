// Pods pulling from a private registry (htpasswd basic auth) on a runc agent:
// with a dockerconfigjson imagePullSecret the agent fetches the Secret as the
// node (the node authorizer allows Secrets its pods reference) and the pod
// runs; without it (pulling Always) the container waits as ErrImagePull, then ImagePullBackOff;
// pull policy Never with an absent image waits as ErrImageNeverPull.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { waitFor, type LocalCluster, type RunningRegistry } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PRIVATE_PASSWORD as PASSWORD, PRIVATE_USER as USER, startPrivateRegistry } from '../harness/private-registry.js';
import { useRuncCluster } from '../harness/runc-cluster.js';

const fixture = useRuncCluster([{ name: 'node-a', cpu: '2', memory: '2Gi', pods: '10' }]);
const work = mkdtempSync(join(tmpdir(), 'skiff-private-pods-'));
let cluster: LocalCluster;
let privateRegistry: RunningRegistry | undefined;
let image = '';

beforeAll(async () => {
  ({ cluster } = fixture());
  ({ registry: privateRegistry, image } = await startPrivateRegistry(work));
}, 180_000);

afterAll(async () => {
  await privateRegistry?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function apply(yaml: string): Promise<void> {
  const result = await cluster.ctl(['apply', '-f', '-'], { stdin: yaml });
  expect(result.code, result.stderr).toBe(0);
}

async function pod(name: string): Promise<Pod | undefined> {
  const result = await cluster.ctl(['get', 'pod', name, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Pod) : undefined;
}

const waitingReason = async (name: string): Promise<string | undefined> => (await pod(name))?.status?.containerStatuses?.[0]?.state.waiting?.reason;

const podYaml = (name: string, podImage: string, extra = '', container = '') => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
    - name: main
      image: ${podImage}
      command: ["/bin/busybox", "sleep", "3600"]
${container}`;

describe('pods and a private registry', () => {
  test('an imagePullSecret lets the pod run; without one it backs off as ImagePullBackOff', async () => {
    const dockerConfig = JSON.stringify({ auths: { [privateRegistry?.address ?? '']: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    await apply(`apiVersion: v1
kind: Secret
metadata: { name: regcred }
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '${dockerConfig}'
`);
    await apply(podYaml('with-secret', image, '  imagePullSecrets: [{ name: regcred }]\n'));
    // Always: the image is on the node now (pulled for with-secret), and IfNotPresent would use it, as in Kubernetes.
    await apply(podYaml('without-secret', image, '', '      imagePullPolicy: Always\n'));
    await waitFor(async () => (await pod('with-secret'))?.status?.phase === 'Running', { timeoutMs: 90_000, intervalMs: 250, description: 'with-secret Running' });
    const seen = new Set<string>();
    // The state flips back to ErrImagePull each time the back-off expires and the pull is retried,
    // so the message is checked on the same read that saw ImagePullBackOff.
    let backOffMessage: string | undefined;
    await waitFor(
      async () => {
        const waiting = (await pod('without-secret'))?.status?.containerStatuses?.[0]?.state.waiting;
        if (waiting?.reason) seen.add(waiting.reason);
        if (waiting?.reason !== 'ImagePullBackOff') return false;
        backOffMessage = waiting.message;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'without-secret waiting as ImagePullBackOff' },
    );
    expect(backOffMessage).toMatch(/Back-off pulling image ".*": .*unauthorized/);
    expect([...seen].every((reason) => reason === 'ErrImagePull' || reason === 'ImagePullBackOff')).toBe(true);
  }, 150_000);

  test('pull policy Never with an absent image waits as ErrImageNeverPull', async () => {
    await apply(podYaml('never', `${privateRegistry?.address ?? ''}/private/absent:1`, '', '      imagePullPolicy: Never\n'));
    await waitFor(async () => (await waitingReason('never')) === 'ErrImageNeverPull', { timeoutMs: 60_000, intervalMs: 200, description: 'never waiting as ErrImageNeverPull' });
    expect((await pod('never'))?.status?.containerStatuses?.[0]?.state.waiting?.message).toMatch(/is not present with pull policy of Never/);
  }, 90_000);
});

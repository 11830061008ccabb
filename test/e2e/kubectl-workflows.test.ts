// The real kubectl's everyday workflows against the REST API, on a cluster
// whose runc agent runs the pods: describe, get -o wide, rollout status and
// undo, delete --wait (background cascade), edit with an EDITOR script,
// patch of all three types, and delete --all of a namespace's configmaps.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '@skiff/api';
import { runCommand, waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, kubectl, useKubectlRuncSuite } from '../harness/kubectl.js';

const { dir, fixture, ok, getJson } = useKubectlRuncSuite('skiff-kubectl-workflows-');
let cluster: LocalCluster;
let image: string;
const WAIT = { timeoutMs: 90_000, intervalMs: 250 };

beforeAll(() => {
  ({ cluster, image } = fixture());
});

const deployment = (name: string, replicas = 1, env = 'one') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default, labels: { app: ${name} } }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${image}
          command: ["/bin/sh", "-c", "exec sleep 3600"]
          env: [{ name: WHICH, value: ${env} }]
`;

describe('kubectl workflows', () => {
  test('rollout status waits for the rollout; describe and get -o wide read sensibly', async () => {
    await ok(['apply', '-f', '-'], deployment('shown'));
    expect(await ok(['rollout', 'status', 'deployment/shown', '--timeout=90s'], undefined, 100_000)).toMatch(/deployment "shown" successfully rolled out/);
    const described = await ok(['describe', 'deployment', 'shown']);
    expect(described).toMatch(/^Name:\s+shown$/m);
    expect(described).toMatch(/^Namespace:\s+default$/m);
    expect(described).toMatch(/^Labels:\s+app=shown$/m);
    expect(described).toMatch(/^Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable$/m);
    expect(described).toMatch(/^NewReplicaSet:\s+shown-\w+ \(1\/1 replicas created\)$/m);
    const pods = await getJson<{ items: { metadata: { name: string } }[] }>(['pods', '-l', 'app=shown']);
    const podName = pods.items[0]?.metadata.name ?? '';
    const pod = await ok(['describe', 'pod', podName]);
    expect(pod).toMatch(new RegExp(`^Name:\\s+${podName}$`, 'm'));
    expect(pod).toMatch(/^Namespace:\s+default$/m);
    expect(pod).toMatch(/^Node:\s+node-a\//m);
    expect(pod).toMatch(/^Status:\s+Running$/m);
    expect(pod).toMatch(/^Labels:\s+app=shown$/m);
    expect(pod).toMatch(/^Controlled By:\s+ReplicaSet\/shown-\w+$/m);
    expect(pod).toMatch(/^Events:\n/m);
    const wide = await ok(['get', 'pods', '-l', 'app=shown', '-o', 'wide']);
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/);
    expect(wide).toMatch(new RegExp(`^${podName}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\d+\\.\\d+\\.\\d+\\.\\d+\\s+node-a\\s`, 'm'));
  }, 150_000);

  test('a changed template rolls out; rollout undo brings the previous template back', async () => {
    await ok(['apply', '-f', '-'], deployment('undone'));
    await ok(['rollout', 'status', 'deployment/undone', '--timeout=90s'], undefined, 100_000);
    await ok(['set', 'env', 'deployment/undone', 'WHICH=two']);
    expect(await ok(['rollout', 'status', 'deployment/undone', '--timeout=90s'], undefined, 100_000)).toMatch(/successfully rolled out/);
    expect(await ok(['rollout', 'history', 'deployment/undone'])).toMatch(/^1\s.*\n2\s/m);
    expect(await ok(['rollout', 'undo', 'deployment/undone'])).toMatch(/deployment.apps\/undone rolled back/);
    await ok(['rollout', 'status', 'deployment/undone', '--timeout=90s'], undefined, 100_000);
    const back = await getJson<Deployment>(['deployment', 'undone']);
    expect(back.spec.template.spec.containers[0]?.env).toEqual([{ name: 'WHICH', value: 'one' }]);
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  }, 300_000);

  // The default, background, cascade; foreground and orphan are kubectl-delete-propagation.test.ts's.
  test('delete waits until the object is gone; the dependents of a deleted deployment go after it', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: brief, namespace: default }\n');
    expect(await ok(['delete', 'configmap', 'brief'])).toMatch(/configmap "brief" deleted/);
    expect((await kubectl(cluster.adminKubeconfig, dir, ['get', 'configmap', 'brief'])).stderr).toMatch(/NotFound/);

    await ok(['apply', '-f', '-'], deployment('cascaded', 2));
    await ok(['rollout', 'status', 'deployment/cascaded', '--timeout=90s'], undefined, 100_000);
    expect(await ok(['delete', 'deployment', 'cascaded', '--timeout=90s'], undefined, 100_000)).toMatch(/deployment.apps "cascaded" deleted/);
    expect((await kubectl(cluster.adminKubeconfig, dir, ['get', 'deployment', 'cascaded'])).stderr).toMatch(/NotFound/);
    await waitFor(async () => (await ok(['get', 'replicasets,pods', '-l', 'app=cascaded', '-o', 'name'])) === '', { ...WAIT, description: 'the ReplicaSet and pods of cascaded gone' });
  }, 200_000);

  test('edit with an EDITOR script changes a configmap and a deployment', async () => {
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i -e "s/colour: blue/colour: red/" -e "s/replicas: 1$/replicas: 2/" "$1"\n');
    chmodSync(editor, 0o755);
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: edited, namespace: default }\ndata: { colour: blue }\n');
    await ok(['apply', '-f', '-'], deployment('edited'));
    const edit = (what: string[]) =>
      runCommand(KUBECTL, ['edit', ...what], { env: { KUBECONFIG: cluster.adminKubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache'), EDITOR: editor }, timeoutMs: 60_000 });
    const cm = await edit(['configmap', 'edited']);
    expect(cm.code, cm.stderr).toBe(0);
    expect(cm.stdout).toMatch(/configmap\/edited edited/);
    expect((await getJson<{ data: Record<string, string> }>(['configmap', 'edited'])).data).toEqual({ colour: 'red' });
    const deploy = await edit(['deployment/edited']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect((await getJson<Deployment>(['deployment', 'edited'])).spec.replicas).toBe(2);
  });

  test('patch --type strategic, merge and json change a deployment', async () => {
    await ok(['apply', '-f', '-'], deployment('patched'));
    await ok(['patch', 'deployment', 'patched', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"EXTRA","value":"x"}]}]}}}}']);
    let stored = await getJson<Deployment>(['deployment', 'patched']);
    // Strategic: the containers list merged by name, env by name — WHICH kept, EXTRA added.
    expect(stored.spec.template.spec.containers).toHaveLength(1);
    expect(stored.spec.template.spec.containers[0]?.env).toEqual(expect.arrayContaining([{ name: 'WHICH', value: 'one' }, { name: 'EXTRA', value: 'x' }]));
    await ok(['patch', 'deployment', 'patched', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"web"}},"spec":{"replicas":0}}']);
    stored = await getJson<Deployment>(['deployment', 'patched']);
    expect(stored.metadata.labels).toEqual({ app: 'patched', tier: 'web' });
    expect(stored.spec.replicas).toBe(0);
    await ok(['patch', 'deployment', 'patched', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1},{"op":"remove","path":"/metadata/labels/tier"}]']);
    stored = await getJson<Deployment>(['deployment', 'patched']);
    expect(stored.spec.replicas).toBe(1);
    expect(stored.metadata.labels).toEqual({ app: 'patched' });
  });

  test('delete --all removes the configmaps of one namespace only, and -l selects', async () => {
    // Not `kubectl create namespace`: kubectl's typed clients send protobuf bodies, which this server does not read yet.
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: sweep }\n');
    const cm = (name: string, ns: string, label: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${ns}, labels: { group: ${label} } }\n`;
    await ok(['apply', '-f', '-'], [cm('a', 'sweep', 'odd'), cm('b', 'sweep', 'even'), cm('c', 'sweep', 'even'), cm('kept', 'default', 'even')].join('---\n'));
    expect(await ok(['delete', 'configmaps', '-n', 'sweep', '-l', 'group=even'])).toMatch(/configmap "b" deleted\nconfigmap "c" deleted/);
    expect(await ok(['get', 'configmaps', '-n', 'sweep', '-l', 'group', '-o', 'name'])).toBe('configmap/a\n');
    await ok(['delete', 'configmaps', '--all', '-n', 'sweep']);
    await waitFor(async () => (await ok(['get', 'configmaps', '-n', 'sweep', '-l', 'group', '-o', 'name'])) === '', { ...WAIT, description: 'the configmaps of sweep gone' });
    expect(await ok(['get', 'configmap', 'kept', '-o', 'name'])).toBe('configmap/kept\n');
  });
});

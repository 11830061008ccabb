// ctl's kubectl-like verbs and flags against a real control plane.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCtl, startProcess, waitFor, CTL_MAIN } from '@skiff/testkit';
import { describe, expect, onTestFinished, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();

const stack = `apiVersion: v1
kind: Namespace
metadata: { name: team-a }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: team-a, labels: { app: shop, tier: web } }
data: { mode: fast, level: "3" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: other, namespace: team-a, labels: { app: blog } }
data: { mode: slow }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, labels: { app: shop } }
data: { mode: default }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: team-a }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - { name: main, image: "registry.local/api:1", resources: { requests: { cpu: 250m, memory: 64Mi } } }
`;

describe('ctl verbs', () => {
  test('get: short names, namespaces, -A, selectors, output formats', async () => {
    const { cluster, file } = fixture();
    expect((await cluster.ctl(['apply', '-f', file('stack.yaml', stack)])).code).toBe(0);

    const inTeam = await cluster.ctl(['get', 'cm', '-n', 'team-a']);
    expect(inTeam.stdout).toMatch(/^NAME\s+DATA\s+AGE\nother\s+1\s+\d+s\nsettings\s+2\s+\d+s\n$/);

    const everywhere = await cluster.ctl(['get', 'configmaps', '-A', '-l', 'app=shop']);
    expect(everywhere.stdout).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE\ndefault\s+settings\s+1\s+\d+s\nteam-a\s+settings\s+2\s+\d+s\n$/);

    const selected = await cluster.ctl(['get', 'cm', '-n', 'team-a', '-l', 'app in (shop,blog),tier!=web', '-o', 'name']);
    expect(selected.stdout).toBe('configmap/other\n');

    const yaml = await cluster.ctl(['get', 'configmap', 'settings', '-n', 'team-a', '-o', 'yaml']);
    expect(yaml.stdout).toContain('kind: ConfigMap');
    expect(yaml.stdout).toContain('mode: fast');
    const list = JSON.parse((await cluster.ctl(['get', 'cm', '-n', 'team-a', '-o', 'json'])).stdout);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['other', 'settings']);

    const wide = await cluster.ctl(['get', 'deploy', '-n', 'team-a', '-o', 'wide']);
    expect(wide.stdout).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\napi\s+0\/2\s+\d\s+0\s+\d+s\s+main\s+registry\.local\/api:1\s+app=api/);

    const namespaces = await cluster.ctl(['get', 'ns']);
    expect(namespaces.stdout).toMatch(/default\s+Active/);
    expect(namespaces.stdout).toMatch(/team-a\s+Active/);

    const nodes = await cluster.ctl(['get', 'no']);
    expect(nodes).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found\n' });

    const unknown = await cluster.ctl(['get', 'gizmos']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the server doesn\'t have a resource type "gizmos"');

    const badFormat = await cluster.ctl(['get', 'cm', '-o', 'xml']);
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toContain('output format "xml"');

    const badSelector = await cluster.ctl(['get', 'cm', '-l', 'app in (shop']);
    expect(badSelector.code).toBe(1);
    expect(badSelector.stderr).toContain('Error from server (Invalid): label selector');
  });

  test('describe shows identity, labels, desired state and events', async () => {
    const { cluster, file } = fixture();
    await cluster.ctl(['apply', '-f', file('stack.yaml', stack)]);
    const described = await cluster.ctl(['describe', 'deployment', 'api', '-n', 'team-a']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+api\nNamespace:\s+team-a\nKind:\s+Deployment\n/);
    expect(described.stdout).toMatch(/Spec:\n\s+replicas: 2/);
    expect(described.stdout).toContain('Events:            <none>');
    const missing = await cluster.ctl(['describe', 'deployment', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(NotFound)');
  });

  test('scale converges the stored replicas and rejects nonsense', async () => {
    const { cluster, file } = fixture();
    await cluster.ctl(['apply', '-f', file('stack.yaml', stack)]);
    expect(await cluster.ctl(['scale', 'deployment/api', '-n', 'team-a', '--replicas', '5'])).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/api scaled\n',
    });
    expect((await cluster.ctl(['get', 'deploy', 'api', '-n', 'team-a'])).stdout).toMatch(/api\s+0\/5/);
    expect((await cluster.ctl(['scale', 'deploy', 'api', '-n', 'team-a', '--replicas', '-1'])).code).toBe(1);
    const podScale = await cluster.ctl(['scale', 'cm/settings', '--replicas', '2']);
    expect(podScale.code).toBe(1);
    expect(podScale.stderr).toContain('configmaps cannot be scaled');
  });

  test('autoscale creates a HorizontalPodAutoscaler that get hpa and describe hpa show; a bad one names its field', async () => {
    const { cluster, file } = fixture();
    await cluster.ctl(['apply', '-f', file('stack.yaml', stack)]);
    expect(await cluster.ctl(['autoscale', 'deployment', 'api', '-n', 'team-a', '--min', '2', '--max', '5', '--cpu-percent', '60'])).toMatchObject({
      code: 0,
      stdout: 'horizontalpodautoscaler.autoscaling/api autoscaled\n',
    });
    // This cluster's agents run the process runtime, which reports no metrics: kubectl's <unknown>
    // (REPLICAS is whatever the controller has seen so far: 0 before its first pass, then minReplicas).
    expect((await cluster.ctl(['get', 'hpa', '-n', 'team-a'])).stdout).toMatch(
      /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\napi\s+Deployment\/api\s+cpu: <unknown>\/60%\s+2\s+5\s+[02]\s+\d+s\n$/,
    );
    const yaml = (await cluster.ctl(['get', 'hpa', 'api', '-n', 'team-a', '-o', 'yaml'])).stdout;
    expect(yaml).toContain('stabilizationWindowSeconds: 300');
    const described = await cluster.ctl(['describe', 'hpa', 'api', '-n', 'team-a']);
    expect(described.stdout).toMatch(/Reference:\s+Deployment\/api\n/);
    expect(described.stdout).toMatch(/ {2}resource cpu on pods {2}\(as a percentage of request\): {2}<unknown> \/ 60%\n/);
    const again = await cluster.ctl(['autoscale', 'deployment', 'api', '-n', 'team-a', '--max', '3']);
    expect([again.code, again.stderr.trim()]).toEqual([1, 'Error from server (AlreadyExists): horizontalpodautoscalers.autoscaling "api" already exists']);
    const bad = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: bad, namespace: team-a }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }
  minReplicas: 4
  maxReplicas: 3
  metrics: [{ type: Pods }]
`;
    const rejected = await cluster.ctl(['apply', '-f', file('bad-hpa.yaml', bad)]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('spec.minReplicas: must be less than or equal to maxReplicas (3), not 4');
    expect(rejected.stderr).toContain('spec.metrics[0].type: must be Resource');
    expect((await cluster.ctl(['get', 'hpa', 'bad', '-n', 'team-a'])).code).toBe(1);
  });

  test('delete by name, by selector, not-found, and --ignore-not-found', async () => {
    const { cluster, file } = fixture();
    await cluster.ctl(['apply', '-f', file('stack.yaml', stack)]);
    expect(await cluster.ctl(['delete', 'cm', 'other', '-n', 'team-a'])).toMatchObject({ code: 0, stdout: 'configmap "other" deleted\n' });
    const missing = await cluster.ctl(['delete', 'cm/other', '-n', 'team-a']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "other" in namespace "team-a" not found');
    expect(await cluster.ctl(['delete', 'cm', 'other', '-n', 'team-a', '--ignore-not-found'])).toMatchObject({ code: 0, stdout: '' });
    expect(await cluster.ctl(['delete', 'cm', '-l', 'app=shop', '-n', 'team-a'])).toMatchObject({
      code: 0,
      stdout: 'configmap "settings" deleted\n',
    });
    const noName = await cluster.ctl(['delete', 'cm']);
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain('no name was specified');
  });

  test('get -w prints the list, then every change as it happens', async () => {
    const { cluster, file } = fixture();
    const watcher = startProcess({
      name: 'ctl-watch',
      command: process.execPath,
      args: [CTL_MAIN, '--kubeconfig', cluster.adminKubeconfig, 'get', 'cm', '-n', 'watched', '-w', '-o', 'name'],
    });
    try {
      await cluster.ctl(['apply', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: watched }\n')]);
      await cluster.ctl(['apply', '-f', file('w.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: live, namespace: watched }\n')]);
      await watcher.waitForLine(/^configmap\/live$/, 10_000);
      await cluster.ctl(['delete', 'cm', 'live', '-n', 'watched']);
      await waitFor(() => watcher.output().split('\n').filter((l) => l === 'configmap/live').length >= 2, {
        timeoutMs: 10_000,
        description: 'the deletion in the watch output',
      });
    } finally {
      await watcher.stop();
    }
  });

  test('ctl finds its kubeconfig in --kubeconfig, SKIFF_CONFIG, KUBECONFIG or ~/.skiff/config, and --server overrides its server', async () => {
    const { cluster } = fixture();
    const home = mkdtempSync(join(tmpdir(), 'skiff-home-'));
    const empty = mkdtempSync(join(tmpdir(), 'skiff-empty-'));
    onTestFinished(() => {
      for (const dir of [home, empty]) rmSync(dir, { recursive: true, force: true });
    });
    const nowhere = { HOME: home, SKIFF_CONFIG: '', KUBECONFIG: '' };
    expect((await runCtl(undefined, ['get', 'ns'], { env: { ...nowhere, SKIFF_CONFIG: cluster.adminKubeconfig } })).code).toBe(0);
    expect((await runCtl(undefined, ['get', 'ns'], { env: { ...nowhere, KUBECONFIG: cluster.adminKubeconfig } })).code).toBe(0);
    mkdirSync(join(home, '.skiff'));
    copyFileSync(cluster.adminKubeconfig, join(home, '.skiff', 'config'));
    expect((await runCtl(undefined, ['get', 'ns'], { env: nowhere })).code).toBe(0);
    const refused = await runCtl(cluster.adminKubeconfig, ['--server', 'https://127.0.0.1:1', 'get', 'ns'], { env: nowhere });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot reach the Skiff control plane at 127.0.0.1:1');
    const missing = await runCtl(undefined, ['get', 'ns'], { env: { ...nowhere, HOME: empty } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/kubeconfig/);
  });

  test('api-resources lists every kind with its short names', async () => {
    const { cluster } = fixture();
    const result = await cluster.ctl(['api-resources']);
    expect(result.stdout).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    expect(result.stdout).toMatch(/pods\s+po\s+v1\s+true\s+Pod/);
  });
});

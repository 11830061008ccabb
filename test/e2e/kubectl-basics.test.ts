// The real kubectl (1.32) against Skiff's Kubernetes REST API: discovery,
// get as a table and as YAML/JSON, apply (create), patch by merge and JSON
// patch, watch, delete, auth can-i, and an RBAC denial as kubectl shows it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Deployment } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { KUBECTL, kubectl, tokenKubeconfig } from '../harness/kubectl.js';

const fixture = useCluster();
const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  colour: blue
`;

/** The admin kubeconfig exactly as the control plane wrote it (server: the REST API; ctl's gRPC servers in an extension). */
const adminConfig = (): string => fixture().cluster.adminKubeconfig;

async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await kubectl(adminConfig(), dir, args, stdin === undefined ? {} : { stdin });
  expect(result.stderr, `kubectl ${args.join(' ')}`).not.toMatch(/error/i);
  expect(result.code, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('kubectl against the REST API', () => {
  test('discovery: api-resources lists Skiff kinds with short names and verbs', async () => {
    const out = await ok(['api-resources']);
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  test('the admin kubeconfig works for kubectl as it is, and for ctl', async () => {
    expect(await ok(['get', 'services', '-n', 'skiff-system'])).toBe('');
    const viaCtl = await fixture().cluster.ctl(['get', 'namespaces']);
    expect(viaCtl.code, viaCtl.stderr).toBe(0);
    expect(viaCtl.stdout).toMatch(/^default\s/m);
  });

  test('get namespaces reads as a table, and as YAML and JSON', async () => {
    expect(await ok(['get', 'namespaces'])).toMatch(/^NAME\s+STATUS\s+AGE\n(?:.*\n)*default\s+Active\s+\d+[smhd]/m);
    await ok(['apply', '--validate=false', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: lonely\n  namespace: default\nspec:\n  containers:\n  - name: main\n    image: busybox\n');
    expect(await ok(['get', 'pods'])).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nlonely\s+0\/1\s+Pending\s+0\s+\d+s\n$/);
    expect(await ok(['get', 'pods', '-o', 'wide'])).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/);
    expect(await ok(['get', 'pods', '-A'])).toMatch(/^NAMESPACE\s+NAME\s+READY/);
    expect(await ok(['get', 'namespace', 'default', '-o', 'yaml'])).toMatch(/^kind: Namespace\n(?:.*\n)*  name: default$/m);
    const json = JSON.parse(await ok(['get', 'namespaces', '-o', 'json'])) as { kind: string; items: { metadata: { name: string } }[] };
    expect(json.kind).toBe('List');
    expect(json.items.map((item) => item.metadata.name)).toContain('skiff-system');
  });

  test('apply creates; patch --type merge and --type json change it; ctl sees the same object', async () => {
    expect(await ok(['apply', '--validate=false', '-f', '-'], CONFIG_MAP)).toMatch(/configmap\/settings created/);
    expect(await ok(['patch', 'configmap', 'settings', '--type', 'merge', '-p', '{"data":{"colour":"green"}}'])).toMatch(/configmap\/settings patched/);
    await ok(['patch', 'cm', 'settings', '--type', 'json', '-p', '[{"op":"add","path":"/data/size","value":"large"}]']);
    const viaCtl = await fixture().cluster.ctl(['get', 'configmap', 'settings', '-o', 'json']);
    expect(JSON.parse(viaCtl.stdout).data).toEqual({ colour: 'green', size: 'large' });
    const failed = await kubectl(adminConfig(), dir, ['patch', 'cm', 'settings', '--type', 'json', '-p', '[{"op":"test","path":"/data/colour","value":"red"}]']);
    expect(failed.code).not.toBe(0);
  });

  test('apply validates against the OpenAPI documents, then changes by strategic merge patch, and a removed field goes', async () => {
    const deployment = (image: string, extra: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: applied\n  namespace: default\n${extra}spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: applied}\n  template:\n    metadata:\n      labels: {app: applied}\n    spec:\n      containers:\n      - name: main\n        image: ${image}\n`;
    expect(await ok(['apply', '-f', '-'], deployment('busybox:1.36', '  labels: {tier: web}\n'))).toMatch(/deployment.apps\/applied created/);
    expect(await ok(['apply', '-f', '-'], deployment('busybox:1.37', ''))).toMatch(/deployment.apps\/applied configured/);
    const stored = JSON.parse((await fixture().cluster.ctl(['get', 'deployment', 'applied', '-o', 'json'])).stdout) as Deployment;
    expect(stored.spec.template.spec.containers[0]?.image).toBe('busybox:1.37');
    expect(stored.metadata.labels?.['tier']).toBeUndefined();
    const unknown = await kubectl(adminConfig(), dir, ['apply', '-f', '-'], { stdin: deployment('busybox:1.37', '').replace('  replicas: 1\n', '  replicas: 1\n  replicaz: 2\n') });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/replicaz/);
  });

  test('errors read as Kubernetes errors: NotFound, AlreadyExists, Invalid with the field', async () => {
    const missing = await kubectl(adminConfig(), dir, ['get', 'configmap', 'nowhere']);
    expect(missing.stderr).toMatch(/Error from server \(NotFound\): .*nowhere.*not found/);
    await ok(['apply', '--validate=false', '-f', '-'], CONFIG_MAP.replace('settings', 'twice'));
    const again = await kubectl(adminConfig(), dir, ['create', '--validate=false', '-f', '-'], { stdin: CONFIG_MAP.replace('settings', 'twice') });
    expect(again.stderr).toMatch(/Error from server \(AlreadyExists\)/);
    const invalid = await kubectl(adminConfig(), dir, ['create', '--validate=false', '-f', '-'], {
      stdin: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: -1\n',
    });
    expect(invalid.stderr).toMatch(/is invalid/);
    expect(invalid.stderr).toMatch(/spec/);
  });

  test('get -w sees a change made meanwhile, as table rows and as objects', async () => {
    await ok(['apply', '--validate=false', '-f', '-'], CONFIG_MAP.replace('settings', 'watched'));
    const watch = (args: string[]) => {
      const child = spawn(KUBECTL, ['get', 'configmap', 'watched', '-w', ...args], { env: { ...process.env, KUBECONFIG: adminConfig(), HOME: dir } });
      const output = { text: '', child };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
      return output;
    };
    const table = watch([]);
    const objects = watch(['-o', 'jsonpath={.data.colour}{"\\n"}']);
    const seen = (output: { text: string }, pattern: RegExp, description: string) =>
      waitFor(async () => (pattern.test(output.text) ? true : undefined), { timeoutMs: 30_000, description });
    try {
      await seen(table, /^NAME\s+DATA\s+AGE\nwatched\s+1\s/, 'kubectl -w printed the table of the first version');
      await seen(objects, /blue/, 'kubectl -w -o jsonpath printed the first version');
      await ok(['patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"colour":"violet","size":"large"}}']);
      await seen(table, /\nwatched\s+2\s/, 'kubectl -w printed the changed row');
      await seen(objects, /violet/, 'kubectl -w -o jsonpath printed the change');
    } finally {
      table.child.kill();
      objects.child.kill();
    }
  });

  test('scale goes through deployments/scale; ctl sees the replicas', async () => {
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: main\n        image: busybox\n';
    await ok(['apply', '--validate=false', '-f', '-'], deployment);
    expect(await ok(['scale', 'deployment', 'web', '--replicas', '3'])).toMatch(/deployment.apps\/web scaled/);
    const viaCtl = await fixture().cluster.ctl(['get', 'deployment', 'web', '-o', 'json']);
    expect(JSON.parse(viaCtl.stdout).spec.replicas).toBe(3);
    expect(await ok(['get', 'deployment', 'web', '--subresource', 'scale', '-o', 'jsonpath={.spec.replicas}'])).toBe('3');
    // The `all` category, and describe (a get, then the events about the object by field selector).
    expect(await ok(['get', 'all'])).toMatch(/^deployment\.apps\/web\s/m);
    expect(await ok(['describe', 'deployment', 'web'])).toMatch(/^Name:\s+web$/m);
  });

  test('delete removes the object', async () => {
    await ok(['apply', '--validate=false', '-f', '-'], CONFIG_MAP.replace('settings', 'doomed'));
    expect(await ok(['delete', 'configmap', 'doomed'])).toMatch(/configmap "doomed" deleted/);
    const gone = await kubectl(adminConfig(), dir, ['get', 'configmap', 'doomed']);
    expect(gone.stderr).toMatch(/NotFound/);
  });

  test('auth can-i answers for the admin and for a ServiceAccount; a denial reads as Forbidden', async () => {
    expect((await ok(['auth', 'can-i', 'delete', 'deployments'])).trim()).toBe('yes');
    await ok(['apply', '--validate=false', '-f', '-'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: nobody\n  namespace: default\n');
    const issued = await fixture().cluster.ctl(['create', 'token', 'nobody']);
    expect(issued.code, issued.stderr).toBe(0);
    const nobody = tokenKubeconfig(fixture().cluster, dir, issued.stdout.trim());
    const canI = await kubectl(nobody, dir, ['auth', 'can-i', 'list', 'secrets']);
    expect(canI.stdout).toMatch(/^no - RBAC: /);
    const denied = await kubectl(nobody, dir, ['get', 'secrets']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Error from server \(Forbidden\): .*system:serviceaccount:default:nobody.*cannot list secrets/);
  });
});

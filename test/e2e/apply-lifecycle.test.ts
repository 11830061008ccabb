// The declarative loop through the real ctl, control plane and etcd:
// apply → get → apply again (unchanged) → edit (configured) → delete.
import { describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();

const deployment = (replicas: number, image = 'busybox:1') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: httpd
          image: ${image}
          resources: { requests: { cpu: 100m, memory: 32Mi } }
`;

describe('apply lifecycle', () => {
  test('created, unchanged, configured, deleted — with generation tracking spec changes', async () => {
    const { cluster, file } = fixture();
    const first = await cluster.ctl(['apply', '-f', file('web.yaml', deployment(2))]);
    expect(first).toMatchObject({ code: 0, stdout: 'deployment.apps/web created\n' });

    const listed = await cluster.ctl(['get', 'deployments']);
    expect(listed.code).toBe(0);
    // No agents run here: the controller creates the pods, none becomes ready.
    expect(listed.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2\s+\d\s+0\s+\d+s\n$/);

    const stored = JSON.parse((await cluster.ctl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    expect(stored.metadata).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    expect(stored.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.spec.strategy.type).toBe('RollingUpdate'); // server-side defaulting
    expect(stored.spec.template.spec.restartPolicy).toBe('Always');

    const again = await cluster.ctl(['apply', '-f', file('web.yaml', deployment(2))]);
    expect(again).toMatchObject({ code: 0, stdout: 'deployment.apps/web unchanged\n' });
    const unchanged = JSON.parse((await cluster.ctl(['get', 'deploy/web', '-o', 'json'])).stdout);
    expect(unchanged.metadata.generation).toBe(1);
    expect(unchanged.spec).toEqual(stored.spec);

    const edited = await cluster.ctl(['apply', '-f', file('web.yaml', deployment(4, 'busybox:2'))]);
    expect(edited).toMatchObject({ code: 0, stdout: 'deployment.apps/web configured\n' });
    const after = JSON.parse((await cluster.ctl(['get', 'deployment', 'web', '-o', 'json'])).stdout);
    expect(after.metadata.generation).toBe(2);
    expect(after.metadata.uid).toBe(stored.metadata.uid);
    expect(after.metadata.creationTimestamp).toBe(stored.metadata.creationTimestamp);
    expect(after.spec.replicas).toBe(4);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(stored.metadata.resourceVersion));

    const deleted = await cluster.ctl(['delete', '-f', file('web.yaml', deployment(4))]);
    expect(deleted).toMatchObject({ code: 0, stdout: 'deployment.apps "web" deleted\n' });
    const gone = await cluster.ctl(['get', 'deployment', 'web']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Error from server (NotFound): deployments.apps "web" in namespace "default" not found');
  });

  test('a label-only change is "configured" without bumping generation', async () => {
    const { cluster, file } = fixture();
    const cm = (label: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: labelled, labels: { tier: ${label} } }\ndata: { a: "1" }\n`;
    expect((await cluster.ctl(['apply', '-f', file('cm.yaml', cm('one'))])).stdout).toBe('configmap/labelled created\n');
    expect((await cluster.ctl(['apply', '-f', file('cm.yaml', cm('two'))])).stdout).toBe('configmap/labelled configured\n');
    const stored = JSON.parse((await cluster.ctl(['get', 'cm', 'labelled', '-o', 'json'])).stdout);
    expect(stored.metadata.labels).toEqual({ tier: 'two' });
    expect(stored.metadata.generation).toBe(1);
  });

  test('a manifest carrying a stale resourceVersion is a conflict, and nothing is overwritten', async () => {
    const { cluster, file } = fixture();
    const base = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: guarded }\n';
    await cluster.ctl(['apply', '-f', file('g.yaml', `${base}data: { v: "1" }\n`)]);
    const snapshot = (await cluster.ctl(['get', 'cm', 'guarded', '-o', 'yaml'])).stdout;
    await cluster.ctl(['apply', '-f', file('g.yaml', `${base}data: { v: "2" }\n`)]);

    const stale = await cluster.ctl(['apply', '-f', file('stale.yaml', snapshot.replace('v: "1"', 'v: "3"'))]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/Error from server \(Conflict\): .*configmaps "guarded".*resourceVersion \d+ is stale; current is \d+/);
    const current = JSON.parse((await cluster.ctl(['get', 'cm', 'guarded', '-o', 'json'])).stdout);
    expect(current.data).toEqual({ v: '2' });
  });

  test('multi-document files and directories apply in order, creating the namespace first', async () => {
    const { cluster, file } = fixture();
    const path = file(
      'stack.yaml',
      `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec:
  selector: { app: cart }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Secret
metadata: { name: cart-db, namespace: shop }
stringData: { password: hunter2 }
`,
    );
    const applied = await cluster.ctl(['apply', '-f', path]);
    expect(applied).toMatchObject({ code: 0, stdout: 'namespace/shop created\nservice/cart created\nsecret/cart-db created\n' });
    const secret = JSON.parse((await cluster.ctl(['get', 'secret', 'cart-db', '-n', 'shop', '-o', 'json'])).stdout);
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe('Opaque');
    const svc = await cluster.ctl(['get', 'svc', '-n', 'shop']);
    expect(svc.stdout).toMatch(/cart\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/);

    const deleted = await cluster.ctl(['delete', 'ns', 'shop']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'namespace "shop" deleted\n' });
    const leftovers = await cluster.ctl(['get', 'secrets', '-n', 'shop']);
    expect(leftovers.stderr).toContain('No resources found in shop namespace.');
  });

  test('objects cannot be applied into a namespace that does not exist', async () => {
    const { cluster, file } = fixture();
    const result = await cluster.ctl([
      'apply', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: nowhere }\n'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (NotFound): namespace "nowhere" not found');
  });

  test('the manifests/ examples apply cleanly', async () => {
    const { cluster } = fixture();
    const result = await cluster.ctl(['apply', '-f', 'manifests']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deployment.apps/web created');
    expect(result.stdout).toContain('horizontalpodautoscaler.autoscaling/web created');
  });
});

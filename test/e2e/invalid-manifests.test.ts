// Invariant: an invalid manifest is rejected with an error naming the file,
// the document and the field, and writes nothing (the store revision does not
// move). Checked through ctl, and straight against the server so the server's
// own validation is proven too.
import { ServerError } from '@skiff/cli';
import { status } from '@grpc/grpc-js';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { INVALID_MANIFESTS } from '../fixtures/invalid-manifests.js';
import { markStore, useCluster, writesSince } from '../harness/cluster-fixture.js';

const fixture = useCluster();

const validConfigMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fine }\ndata: { a: b }\n';

describe('invalid manifests write nothing', () => {
  test(`every case of the table (${INVALID_MANIFESTS.length}) is rejected by ctl with its field path`, async () => {
    expect(INVALID_MANIFESTS.length).toBeGreaterThanOrEqual(25);
    const { cluster, file } = fixture();
    const before = await markStore(cluster);
    // Four ctl processes at a time: each is a real process start on a 2-core machine.
    const queue = [...INVALID_MANIFESTS];
    const worker = async (): Promise<void> => {
      for (let invalid = queue.shift(); invalid; invalid = queue.shift()) {
        const path = file('bad.yaml', invalid.yaml);
        const result = await cluster.ctl(['apply', '-f', path]);
        expect(result.code, `${invalid.name}: exit code`).toBe(1);
        expect(result.stdout, invalid.name).toBe('');
        const fieldPrefix = invalid.path === '' ? ': ' : `: ${invalid.path}: `;
        expect(result.stderr, invalid.name).toContain(`${path}, document 1`);
        expect(result.stderr, invalid.name).toContain(fieldPrefix);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(await writesSince(cluster, before)).toEqual([]);
  }, 180_000);

  test('the server rejects every case on its own too (a client that skips validation writes nothing)', async () => {
    const { cluster, api } = fixture();
    const before = await markStore(cluster);
    for (const invalid of INVALID_MANIFESTS) {
      const manifest = parse(invalid.yaml);
      const error = await api.apply(manifest, { strict: false, dryRun: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, invalid.name).toBeInstanceOf(ServerError);
      expect((error as ServerError).code, invalid.name).toBe(status.INVALID_ARGUMENT);
      if (invalid.path !== '') expect((error as ServerError).message, invalid.name).toContain(`${invalid.path}: `);
    }
    expect(await writesSince(cluster, before)).toEqual([]);
  });

  test('Service IPs and node ports the server refuses (outside its ranges, or taken) are field errors, and nothing is written', async () => {
    const { cluster, api, file } = fixture();
    const svc = (name: string, spec: string) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n${spec}`;
    const holder = file('holder.yaml', svc('holder', '  type: NodePort\n  clusterIP: 10.96.7.7\n  ports: [{ port: 80, nodePort: 30111 }]\n'));
    expect((await cluster.ctl(['apply', '-f', holder])).stdout).toBe('service/holder created\n');
    try {
      const before = await markStore(cluster);
      const cases: [string, string, string][] = [
        ['clusterIP outside the CIDR', '  clusterIP: 10.97.0.1\n  ports: [{ port: 80 }]\n', 'spec.clusterIP: Invalid value: "10.97.0.1": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16'],
        ['clusterIP already taken', '  clusterIP: 10.96.7.7\n  ports: [{ port: 80 }]\n', 'spec.clusterIP: Invalid value: "10.96.7.7": provided IP is already allocated'],
        ['NodePort outside the range', '  type: NodePort\n  ports: [{ port: 80, nodePort: 40000 }]\n', 'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767'],
        ['NodePort already taken', '  type: LoadBalancer\n  ports: [{ port: 80, nodePort: 30111 }]\n', 'spec.ports[0].nodePort: Invalid value: 30111: provided port is already allocated'],
      ];
      for (const [name, spec, message] of cases) {
        const path = file('bad-svc.yaml', svc('bad', spec));
        const result = await cluster.ctl(['apply', '-f', path]);
        expect(result.code, name).toBe(1);
        expect(result.stderr, name).toContain('Error from server (Invalid): Service "bad" is invalid:');
        expect(result.stderr, name).toContain(message);
        const direct = await api.apply(parse(svc('bad', spec)), { strict: false, dryRun: false }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((direct as ServerError).code, name).toBe(status.INVALID_ARGUMENT);
        expect((direct as ServerError).message, name).toContain(message);
      }
      // Changing an allocated IP is refused too.
      const moved = await cluster.ctl(['apply', '-f', file('moved.yaml', svc('holder', '  type: NodePort\n  clusterIP: 10.96.7.8\n  ports: [{ port: 80, nodePort: 30111 }]\n'))]);
      expect(moved.stderr).toContain('spec.clusterIP: Invalid value: "10.96.7.8": field is immutable');
      expect(await writesSince(cluster, before)).toEqual([]);
    } finally {
      await cluster.ctl(['delete', 'svc', 'holder']);
    }
  });

  test('one bad document in a multi-document file means none of it is applied', async () => {
    const { cluster, file } = fixture();
    const before = await markStore(cluster);
    const path = file(
      'mixed.yaml',
      `${validConfigMap}---\napiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: busybox\n      resources: { requests: { cpu: lots } }\n---\n${validConfigMap.replace('fine', 'fine2')}`,
    );
    const result = await cluster.ctl(['apply', '-f', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}, document 2 (Pod "p"): spec.containers[0].resources.requests.cpu: must be a quantity`);
    expect(await writesSince(cluster, before)).toEqual([]);
    expect((await cluster.ctl(['get', 'cm', 'fine'])).code).toBe(1);
  });

  test.each([
    ['a tab-indented mapping', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n'],
    ['an unclosed flow mapping', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x\n'],
    ['a duplicate key', 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: { name: x }\n'],
    ['a bad indentation', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   labels: {}\n'],
  ])('bad YAML (%s) is a syntax error naming file, document and line; nothing is written', async (_name, yaml) => {
    const { cluster, file } = fixture();
    const before = await markStore(cluster);
    const path = file('syntax.yaml', `${validConfigMap}---\n${yaml}`);
    const result = await cluster.ctl(['apply', '-f', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${path.replace(/[.]/g, '\\.')}, document 2: YAML syntax error: .*line \\d+`));
    expect(await writesSince(cluster, before)).toEqual([]);
  });

  test('an oversized document is rejected before it is sent, and by the server if sent anyway', async () => {
    const { cluster, api, file } = fixture();
    const before = await markStore(cluster);
    const big = 'x'.repeat(1_100_000);
    const path = file('big.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\ndata: { blob: "${big}" }\n`);
    const result = await cluster.ctl(['apply', '-f', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/document 1 \(ConfigMap "big"\): .*(MiB|too large|largest)/);
    const direct = await api
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: big } } as never, { strict: false, dryRun: false })
      .then(() => undefined, (e: unknown) => e);
    expect((direct as ServerError).code).toBe(status.INVALID_ARGUMENT);
    const huge = await api
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { blob: 'y'.repeat(5_000_000) } } as never, { strict: false, dryRun: false })
      .then(() => undefined, (e: unknown) => e);
    expect((huge as ServerError).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await writesSince(cluster, before)).toEqual([]);
  });

  test('unknown fields are warnings by path (and pruned); --strict makes them errors', async () => {
    const { cluster, file } = fixture();
    const path = file('extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, colour: blue }\ndata: { a: b }\nflavour: mint\n');
    const strict = await cluster.ctl(['apply', '--strict', '-f', path]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('metadata.colour');
    expect((await cluster.ctl(['get', 'cm', 'extra'])).code).toBe(1);

    const lenient = await cluster.ctl(['apply', '-f', path]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toBe('configmap/extra created\n');
    expect(lenient.stderr).toContain('Warning:');
    expect(lenient.stderr).toContain('metadata.colour: unknown field "colour"');
    expect(lenient.stderr).toContain('flavour: unknown field "flavour"');
    const stored = JSON.parse((await cluster.ctl(['get', 'cm', 'extra', '-o', 'json'])).stdout);
    expect(stored.flavour).toBeUndefined();
    expect(stored.metadata.colour).toBeUndefined();
  });

  test('garbage that is not a manifest at all is rejected clearly', async () => {
    const { cluster, api } = fixture();
    const before = await markStore(cluster);
    for (const garbage of ['[1,2,3]', '"text"', 'null', '{"kind": 7}']) {
      const error = await api.apply(JSON.parse(garbage) as never, { strict: false, dryRun: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as ServerError).code, garbage).toBe(status.INVALID_ARGUMENT);
    }
    expect(await writesSince(cluster, before)).toEqual([]);
  });
});

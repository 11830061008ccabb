// `ctl get` end to end inside the process: the real command tree and renderers
// against a fake client that serves a fixed set of objects and scripted watches.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Namespace, Node } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ServerError } from '../errors.js';
import { ago, ctl, ctlIn, FakeClient, pod } from './get-test-fixture.js';

const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a', creationTimestamp: ago(7200) },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { agentVersion: '0.1.0' } },
};
const shop: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', creationTimestamp: ago(7200) } };

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

const cluster = (): FakeClient =>
  new FakeClient({ pods: [pod('web-1', 'default', 'Running'), pod('cart-1', 'shop', 'Pending')], nodes: [node], namespaces: [shop] });

describe('ctl get', () => {
  it("looks in the kubeconfig context's namespace unless -n says otherwise", async () => {
    const client = cluster();
    expect((await ctlIn('shop', client, 'pods', '-o', 'name')).stdout).toBe('pod/cart-1\n');
    expect((await ctlIn('shop', client, 'pods', '-n', 'default', '-o', 'name')).stdout).toBe('pod/web-1\n');
    expect(client.lists.map((q) => q.namespace)).toEqual(['shop', 'default']);
  });

  it('lists a kind in the default namespace as a table', async () => {
    const client = cluster();
    expect(await ctl(client, 'pods')).toEqual({
      stdout: 'NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          90s\n',
      stderr: '',
    });
    expect(client.lists).toEqual([{ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '', limit: 500 }]);
  });

  it('passes -n and -l on to the server', async () => {
    const client = cluster();
    const { stdout } = await ctl(client, 'po', '-n', 'shop', '-l', 'app=cart,tier!=db');
    expect(stdout).toBe('NAME     READY   STATUS              RESTARTS   AGE\ncart-1   0/1     ContainerCreating   0          90s\n');
    expect(client.lists).toEqual([{ kind: 'pods', namespace: 'shop', allNamespaces: false, labelSelector: 'app=cart,tier!=db', limit: 500 }]);
  });

  it('reads a list in pages of --chunk-size, following the continue tokens, and in one request with 0', async () => {
    const client = new FakeClient({ pods: ['a', 'b', 'c', 'd', 'e'].map((name) => pod(name, 'default', 'Running')) });
    const { stdout } = await ctl(client, 'po', '--chunk-size', '2', '-o', 'name');
    expect(stdout).toBe('pod/a\npod/b\npod/c\npod/d\npod/e\n');
    expect(client.lists.map((q) => [q.limit, q.continue])).toEqual([[2, undefined], [2, '2'], [2, '4']]);
    await ctl(client, 'po', '--chunk-size', '0');
    expect(client.lists[3]).toEqual({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' });
    expect(String((await ctl(client, 'po', '--chunk-size', 'lots')).error)).toBe('CliError: error: --chunk-size must be a whole number of objects (0 for one request), not lots');
  });

  it('-A adds NAMESPACE to namespaced kinds only', async () => {
    expect((await ctl(cluster(), 'pods', '-A')).stdout).toBe(
      [
        'NAMESPACE   NAME     READY   STATUS              RESTARTS   AGE',
        'default     web-1    1/1     Running             0          90s',
        'shop        cart-1   0/1     ContainerCreating   0          90s',
        '',
      ].join('\n'),
    );
    expect((await ctl(cluster(), 'nodes', '-A')).stdout).toBe('NAME     STATUS   AGE    VERSION\nnode-a   Ready    120m   0.1.0\n');
  });

  it('says "No resources found" on stderr, naming the namespace only where one applies', async () => {
    const empty = new FakeClient({});
    expect(await ctl(empty, 'deploy')).toEqual({ stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect(await ctl(empty, 'deploy', '-n', 'shop')).toEqual({ stdout: '', stderr: 'No resources found in shop namespace.\n' });
    expect(await ctl(empty, 'deploy', '-A')).toEqual({ stdout: '', stderr: 'No resources found\n' });
    expect(await ctl(empty, 'nodes')).toEqual({ stdout: '', stderr: 'No resources found\n' });
  });

  it('prints an empty List for -o json and yaml instead', async () => {
    expect(await ctl(new FakeClient({}), 'svc', '-o', 'yaml')).toEqual({ stdout: 'apiVersion: v1\nkind: List\nitems: []\n', stderr: '' });
  });

  it('gets objects by name, as KIND NAME... or KIND/NAME...', async () => {
    expect((await ctl(cluster(), 'pod', 'web-1', '-o', 'name')).stdout).toBe('pod/web-1\n');
    expect((await ctl(cluster(), 'pod/web-1', 'namespace/shop', '-o', 'name')).stdout).toBe('pod/web-1\nnamespace/shop\n');
    expect(JSON.parse((await ctl(cluster(), 'ns', 'shop', '-o', 'json')).stdout)).toEqual(shop);
  });

  it('names rows kind/name and parts the tables with a blank line when several kinds are asked for', async () => {
    expect(await ctl(cluster(), 'pod/web-1', 'ns/shop', 'node/node-a')).toEqual({
      stdout: [
        'NAME        READY   STATUS    RESTARTS   AGE',
        'pod/web-1   1/1     Running   0          90s',
        '',
        'NAME             STATUS   AGE',
        'namespace/shop   Active   120m',
        '',
        'NAME          STATUS   AGE    VERSION',
        'node/node-a   Ready    120m   0.1.0',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints several kinds as one List for -o json and yaml', async () => {
    const { stdout } = await ctl(cluster(), 'pod/web-1', 'ns/shop', '-o', 'json');
    expect(JSON.parse(stdout)).toEqual({ apiVersion: 'v1', kind: 'List', items: [pod('web-1', 'default', 'Running'), shop] });
    expect(YAML.parse((await ctl(cluster(), 'pod/web-1', 'ns/shop', '-o', 'yaml')).stdout)).toEqual(JSON.parse(stdout));
  });

  it('fails with the server words when a named object is missing', async () => {
    const { stdout, error } = await ctl(cluster(), 'pod', 'nope');
    expect(stdout).toBe('');
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).message).toBe('Error from server (NotFound): pods "nope" not found');
  });

  it('refuses a selector or watch on named objects, and an unknown kind or format', async () => {
    expect(String((await ctl(cluster(), 'pod', 'web-1', '-l', 'a=b')).error)).toBe(
      'CliError: error: --selector and --watch work on lists; name no objects, or drop the flag',
    );
    expect(String((await ctl(cluster(), 'gadgets')).error)).toBe(
      'CliError: error: the server doesn\'t have a resource type "gadgets" (run "ctl api-resources" to list them)',
    );
    expect(String((await ctl(cluster(), 'pods', '-o', 'xml')).error)).toMatch(/^CliError: error: unable to match a printer suitable for the output format "xml"/);
  });
});

describe('ctl get -w', () => {
  const changed = { ...pod('web-1', 'default', 'Running'), metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(5) } };

  it('prints the table, then one row per change, resuming from the listed revision', async () => {
    const client = new FakeClient({ pods: [pod('web-1', 'default', 'Running')] }, [
      [{ object: changed, resourceVersion: '12' }, { error: serviceError(status.INTERNAL, 'boom') }],
    ]);
    const { stdout, error } = await ctl(client, 'pods', '-w');
    expect(stdout).toBe('NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          90s\nweb-1   1/1     Running   0          5s\n');
    expect((error as ServerError).message).toBe('Error from server (InternalError): boom');
    expect(client.watches.map((w) => w.from)).toEqual(['11']);
  });

  it('separates -o yaml changes with ---', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast' } };
    const client = new FakeClient({}, [[{ object: settings, resourceVersion: '12' }, { error: serviceError(status.INTERNAL, 'stop') }]]);
    const { stdout, stderr } = await ctl(client, 'cm', '-w', '-o', 'yaml');
    expect(stderr).toBe('');
    expect(stdout).toBe(
      'apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  mode: fast\n',
    );
  });

  it('lists again and carries on from the new revision when its revision was compacted', async () => {
    const client = new FakeClient({ pods: [] }, [
      [{ error: serviceError(status.OUT_OF_RANGE, 'required revision has been compacted') }],
      [{ object: changed, resourceVersion: '20' }, { error: serviceError(status.INTERNAL, 'stop') }],
    ]);
    const { stdout, stderr } = await ctl(client, 'pods', '-w');
    expect(stderr).toBe('');
    expect(stdout).toBe('web-1   1/1     Running   0          5s\n');
    expect(client.watches.map((w) => w.from)).toEqual(['11', '12']);
  });
});

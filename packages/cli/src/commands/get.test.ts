// `ctl get` end to end inside the process: the real command tree and renderers
// against a fake client that serves a fixed set of objects and scripted watches.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Namespace, Node, Pod, ResourceObject } from '@skiff/api';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { ListQuery, Ref, SkiffClient } from '../client.js';
import type { CliContext } from '../context.js';
import { explainServiceError, isServiceError, ServerError } from '../errors.js';
import { buildProgram } from '../program.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

const pod = (name: string, namespace: string, phase: 'Pending' | 'Running'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, creationTimestamp: ago(90) },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
  status: { phase, containerStatuses: [{ name: 'main', ready: phase === 'Running', restartCount: 0, state: phase === 'Running' ? { running: { startedAt: ago(80) } } : { waiting: { reason: 'ContainerCreating' } } }] },
});
const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a', creationTimestamp: ago(7200) },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { agentVersion: '0.1.0' } },
};
const shop: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', creationTimestamp: ago(7200) } };

type WatchStep = { readonly object: ResourceObject; readonly resourceVersion: string } | { readonly error: ServiceError };

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** Serves `objects` by plural; each watch call plays the next script, then ends with its last error. */
class FakeClient {
  readonly lists: ListQuery[] = [];
  readonly watches: { query: ListQuery; from: string }[] = [];

  constructor(
    private readonly objects: Record<string, ResourceObject[]>,
    private readonly scripts: WatchStep[][] = [],
  ) {}

  async list(query: ListQuery): Promise<{ items: ResourceObject[]; resourceVersion: string }> {
    this.lists.push(query);
    const items = (this.objects[query.kind] ?? []).filter((o) => query.allNamespaces || !o.metadata.namespace || o.metadata.namespace === query.namespace);
    return { items, resourceVersion: `${10 + this.lists.length}` };
  }

  async get(ref: Ref): Promise<ResourceObject> {
    const found = (this.objects[ref.kind] ?? []).find((o) => o.metadata.name === ref.name && (!o.metadata.namespace || o.metadata.namespace === ref.namespace));
    if (!found) throw new ServerError(`Error from server (NotFound): ${ref.kind} "${ref.name}" not found`, status.NOT_FOUND);
    return found;
  }

  watch(query: ListQuery, from: string): EventEmitter {
    this.watches.push({ query, from });
    const stream = new EventEmitter();
    const script = this.scripts.shift() ?? [];
    setImmediate(() => {
      for (const step of script) {
        if ('error' in step) stream.emit('error', step.error);
        else stream.emit('data', { type: 'MODIFIED', object_json: JSON.stringify(step.object), resource_version: step.resourceVersion });
      }
      if (!script.some((step) => 'error' in step)) stream.emit('end');
    });
    return stream;
  }

  explain(error: unknown): unknown {
    return isServiceError(error) ? explainServiceError(error, { where: 'fake:7400' }) : error;
  }
}

async function ctl(client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  return ctlIn('default', client, ...args);
}

/** ctl get with `namespace` as the kubeconfig context's namespace. */
async function ctlIn(namespace: string, client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const printed = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr'): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed[key] += chunk.toString();
        done();
      },
    });
  const context: CliContext = {
    stdout: sink('stdout'),
    stderr: sink('stderr'),
    readStdin: async () => '',
    now: () => NOW,
    client: () => client as unknown as SkiffClient,
    defaultNamespace: () => namespace,
    kubeconfig: () => {
      throw new Error('ctl get reads the kubeconfig only through client() and defaultNamespace()');
    },
    flags: {},
    close: () => {},
  };
  try {
    await buildProgram(context).parseAsync(['get', ...args], { from: 'user' });
    return printed;
  } catch (error) {
    return { ...printed, error };
  }
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
    expect(client.lists).toEqual([{ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' }]);
  });

  it('passes -n and -l on to the server', async () => {
    const client = cluster();
    const { stdout } = await ctl(client, 'po', '-n', 'shop', '-l', 'app=cart,tier!=db');
    expect(stdout).toBe('NAME     READY   STATUS              RESTARTS   AGE\ncart-1   0/1     ContainerCreating   0          90s\n');
    expect(client.lists).toEqual([{ kind: 'pods', namespace: 'shop', allNamespaces: false, labelSelector: 'app=cart,tier!=db' }]);
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

// ctl top against a TLS Api server in the test (Get and List only): the flags
// become the metrics API queries, the answers kubectl top's tables.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { METRICS_API_VERSION, type Node, type NodeMetrics, type PodMetrics } from '@skiff/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

interface ListRequest {
  kind: string;
  namespace: string;
  all_namespaces: boolean;
  label_selector: string;
}
interface GetRequest {
  ref: { kind: string; namespace: string; name: string };
}

const lists: ListRequest[] = [];
const gets: GetRequest[] = [];
let server: TestApiServer;
let kubeconfig = '';
let podMetrics: PodMetrics[] = [];
let pods: { metadata: { name: string; namespace: string } }[] = [];

const pod = (namespace: string, name: string, cpu: string, memory: string): PodMetrics => ({
  apiVersion: METRICS_API_VERSION,
  kind: 'PodMetrics',
  metadata: { name, namespace },
  timestamp: '2026-12-02T03:00:00Z',
  window: '5s',
  containers: [{ name: 'app', usage: { cpu, memory } }],
});
const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: {}, status: { allocatable: { cpu: '2', memory: '2Gi' } } };
const nodeMetrics: NodeMetrics = {
  apiVersion: METRICS_API_VERSION,
  kind: 'NodeMetrics',
  metadata: { name: 'node-a' },
  timestamp: '2026-12-02T03:00:00Z',
  window: '5s',
  usage: { cpu: '500000000n', memory: '1Gi' },
};

beforeAll(async () => {
  server = await startTestApiServer({
    List(call: ServerUnaryCall<ListRequest, unknown>, callback: sendUnaryData<unknown>) {
      lists.push(call.request);
      const items = call.request.kind === 'NodeMetrics' ? [nodeMetrics] : call.request.kind === 'nodes' ? [node] : call.request.kind === 'pods' ? pods : podMetrics;
      callback(null, { items_json: items.map((item) => JSON.stringify(item)), resource_version: '1' });
    },
    Get(call: ServerUnaryCall<GetRequest, unknown>, callback: sendUnaryData<unknown>) {
      gets.push(call.request);
      const found = podMetrics.find((p) => p.metadata.name === call.request.ref.name);
      if (!found) {
        callback({ code: status.NOT_FOUND, details: `podmetrics.metrics.k8s.io "${call.request.ref.name}" not found in namespace ${call.request.ref.namespace}: metrics not available yet` });
        return;
      }
      callback(null, { object_json: JSON.stringify(found) });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

const top = async (...args: string[]) => {
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, 'top', ...args]);
  return { stdout: run.stdout, stderr: run.stderr, error: run.error === undefined ? undefined : run.error instanceof Error ? run.error.message : String(run.error) };
};

describe('ctl top', () => {
  it('top pods asks for PodMetrics in the namespace, with the selector', async () => {
    podMetrics = [pod('shop', 'web', '150000000n', '64Mi')];
    expect(await top('pods', '-n', 'shop', '-l', 'app=web')).toMatchObject({ stdout: 'NAME   CPU(cores)   MEMORY(bytes)\nweb    150m         64Mi\n', error: undefined });
    expect(lists.at(-1)).toEqual({ kind: 'PodMetrics', namespace: 'shop', all_namespaces: false, label_selector: 'app=web', resource_version: '', limit: 0, continue_token: '' });
  });

  it('top pods -A adds the NAMESPACE column; no pods says so on stderr', async () => {
    podMetrics = [pod('shop', 'web', '1m', '1Mi')];
    expect((await top('pods', '-A')).stdout).toBe('NAMESPACE   NAME   CPU(cores)   MEMORY(bytes)\nshop        web    1m           1Mi\n');
    expect(lists.at(-1)).toMatchObject({ kind: 'PodMetrics', all_namespaces: true });
    podMetrics = [];
    expect(await top('pods')).toMatchObject({ stdout: '', stderr: 'No resources found in default namespace.\n', error: undefined });
    // Pods without metrics yet (as kubectl's verifyEmptyMetrics): an error, not "No resources".
    pods = [{ metadata: { name: 'new', namespace: 'default' } }];
    expect((await top('pods')).error).toBe('error: metrics not available yet');
    pods = [];
  });

  it('top pod NAME gets it; a missing one is the server’s NotFound', async () => {
    podMetrics = [pod('default', 'web', '2m', '3Mi')];
    expect((await top('pod', 'web', '--containers')).stdout).toBe('POD   NAME   CPU(cores)   MEMORY(bytes)\nweb   app    2m           3Mi\n');
    expect(gets.at(-1)).toEqual({ ref: { kind: 'PodMetrics', namespace: 'default', name: 'web' } });
    expect((await top('pod', 'db')).error).toContain('podmetrics.metrics.k8s.io "db" not found in namespace default: metrics not available yet');
  });

  it('top nodes joins NodeMetrics with the nodes’ allocatable', async () => {
    expect((await top('nodes')).stdout).toBe('NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\nnode-a   500m         25%      1024Mi          50%\n');
  });
});

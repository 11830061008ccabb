// ctl against several control planes over real TLS: one refuses connections,
// one answers UNAVAILABLE, one works. Reads move on past both; writes move on
// only past the one that could not be connected to.
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { SERVERS_EXTENSION, type Kubeconfig } from '@skiff/api';
import { freePort } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { ServerError } from '../errors.js';
import { createTestCa, issueTestIdentity, startTestApiServer, type TestApiServer } from '../test-api-server.js';
import type { ConnectionFlags } from './connection.js';

const LIST = { kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' };
const MANIFEST = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as never;

describe('SkiffClient with several servers', () => {
  const calls: string[] = [];
  let working: TestApiServer;
  let unavailable: TestApiServer;
  let refused: string;

  const handlers = (name: string, fail: boolean) => {
    const answer = (method: string, value: unknown) => (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      calls.push(`${name}:${method}`);
      if (fail) callback(Object.assign(new Error('etcd is unavailable'), { code: status.UNAVAILABLE, details: 'etcd is unavailable', metadata: new Metadata() }));
      else callback(null, value);
    };
    return {
      List: answer('List', { items_json: [], resource_version: '7' }),
      Apply: answer('Apply', { outcome: 'created', object_json: '{"kind":"ConfigMap","metadata":{"name":"x"}}', warnings: [] }),
    };
  };

  beforeAll(async () => {
    const ca = await createTestCa();
    const admin = await issueTestIdentity(ca, 'admin', 'client');
    working = await startTestApiServer(handlers('working', false), { ca, admin });
    unavailable = await startTestApiServer(handlers('unavailable', true), { ca, admin });
    refused = `127.0.0.1:${await freePort()}`; // nothing listens there
  });
  afterAll(() => {
    working.close();
    unavailable.close();
  });

  const at = (server: TestApiServer): string => `127.0.0.1:${server.port}`;
  const client = (flags: ConnectionFlags) =>
    createContext(flags, { stdout: process.stdout, stderr: process.stderr, readStdin: async () => '' }, { env: {}, home: working.dir }).client();
  const kubeconfig = (servers?: string[]): string => {
    const config = working.adminConfig();
    if (!servers) return working.kubeconfigFile('single', config);
    const cluster = config.clusters[0]!;
    const ha: Kubeconfig = { ...config, clusters: [{ ...cluster, cluster: { ...cluster.cluster, server: `https://${servers[0]}`, extensions: [{ name: SERVERS_EXTENSION, extension: { servers: servers.map((s) => `https://${s}`) } }] } }] };
    return working.kubeconfigFile(`ha-${servers.length}`, ha);
  };
  async function using<T>(flags: ConnectionFlags, run: (c: ReturnType<typeof client>) => Promise<T>): Promise<T> {
    const c = client(flags);
    try {
      return await run(c);
    } finally {
      c.close();
    }
  }

  it('reads fail over past a refused server and one answering UNAVAILABLE (--server a,b,c)', async () => {
    calls.length = 0;
    const flags = { kubeconfig: kubeconfig(), server: [refused, at(unavailable), at(working)].join(',') };
    expect(await using(flags, (c) => c.list(LIST))).toEqual({ items: [], resourceVersion: '7' });
    expect(calls).toEqual(['unavailable:List', 'working:List']);
  });

  it('writes fail over past a server that could not be connected to, from the kubeconfig servers extension', async () => {
    calls.length = 0;
    const answer = await using({ kubeconfig: kubeconfig([refused, at(working)]) }, (c) => c.apply(MANIFEST, { strict: false, dryRun: false }));
    expect(answer.outcome).toBe('created');
    expect(calls).toEqual(['working:Apply']);
  });

  it('a write answered UNAVAILABLE is not sent again: it may have been applied', async () => {
    calls.length = 0;
    const error = await using({ kubeconfig: kubeconfig(), server: `${at(unavailable)},${at(working)}` }, (c) => c.apply(MANIFEST, { strict: false, dryRun: false })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).code).toBe(status.UNAVAILABLE);
    expect((error as ServerError).message).toContain(`any of ${at(unavailable)}, ${at(working)}`);
    expect(calls).toEqual(['unavailable:Apply']);
  });

  it('names every server when none can be reached', async () => {
    const other = `127.0.0.1:${await freePort()}`;
    const error = await using({ kubeconfig: kubeconfig(), server: `${refused},${other}` }, (c) => c.list(LIST)).catch((e: unknown) => e);
    expect((error as ServerError).code).toBe(status.UNAVAILABLE);
    expect((error as ServerError).message).toContain(`cannot reach the Skiff control plane at any of ${refused}, ${other}`);
  });
});

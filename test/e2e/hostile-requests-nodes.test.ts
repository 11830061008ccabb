// Hostile requests, part 3: node identities and the agents' own API. A real
// agent (node-a, process runtime) runs a pod that references a Secret; a
// second node identity, ghost, joined with the cluster's token, tries to act
// for node-a, read what node-a's pods use, and use the general API. Then
// everything but the control plane calls node-a's agent directly. Every
// refusal is checked word for word, and what it would have changed is read
// back as the admin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentClient, type Event, type Node, type Pod, type Secret } from '@skiff/api';
import { readAdminCredentials, waitFor } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { allMessages, refusal, unary } from '../harness/grpc-calls.js';
import { foreignCa, issueIdentity, tlsCredentials, useHostileCluster, type Identity } from '../harness/hostile-cluster.js';
import { boundPod, configMap, deployment, namespace, secret } from '../harness/hostile-objects.js';
import {
  applyWith,
  cordonWith,
  deleteWith,
  getWith,
  heartbeat,
  listWith,
  registerNode,
  reportedNode,
  updatePodStatus,
  watchAssignments,
  watchWith,
} from '../harness/skiff-calls.js';

const fixture = useHostileCluster({ agents: [{ name: 'node-a', runtime: 'process', cpu: '4', memory: '4Gi', pods: '20' }] });
const GHOST = 'user "system:node:ghost"';

let ghost: Identity;
let nodeA: Identity;

beforeAll(async () => {
  const { apply, join: joinNode, read, cluster } = fixture();
  await apply(
    namespace('shop'),
    deployment('shop', 'web'),
    secret('default', 'app-creds', { password: 'used-by-talker' }),
    secret('default', 'unreferenced', { password: 'used-by-nobody' }),
    boundPod('default', 'talker', 'node-a', 'app-creds', 'hello-from-talker'),
  );
  ghost = await joinNode('ghost');
  // A node that registered once and then fell silent: only a heartbeat for it could make it Ready again.
  await registerNode(fixture().nodeApi(await joinNode('quiet')), reportedNode('quiet'));
  const pki = join(cluster.agents[0]?.stateDir ?? '', 'pki');
  nodeA = { certPem: readFileSync(join(pki, 'node.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'node.key'), 'utf8') };
  await waitFor(async () => (await read<Pod>('Pod', 'default', 'talker'))?.status?.phase === 'Running', {
    timeoutMs: 60_000,
    description: 'pod talker to run on node-a',
  });
}, 120_000);

const pod = () => fixture().read<Pod>('Pod', 'default', 'talker');
const nodeAObject = () => fixture().read<Node>('Node', '', 'node-a');

describe('hostile requests: node restriction', () => {
  test('a node certificate cannot write through the API: Apply and Delete are PERMISSION_DENIED', async () => {
    const { api, read } = fixture();
    const before = (await read('Deployment', 'shop', 'web'))?.metadata.resourceVersion;
    expect(await refusal(applyWith(api(ghost), configMap('default', 'from-node')))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot create configmaps "from-node" in namespace "default"`,
    });
    expect(await refusal(deleteWith(api(ghost), 'Deployment', 'shop', 'web'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot delete deployments "web" in namespace "shop"`,
    });
    expect(await read('ConfigMap', 'default', 'from-node')).toBeUndefined();
    expect((await read('Deployment', 'shop', 'web'))?.metadata.resourceVersion).toBe(before);
  });

  test('a node cannot delete even the pods bound to it', async () => {
    const { api } = fixture();
    const uid = (await pod())?.metadata.uid;
    expect(await refusal(deleteWith(api(nodeA), 'Pod', 'default', 'talker'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'user "system:node:node-a" cannot delete pods "talker" in namespace "default"',
    });
    expect((await pod())?.metadata.uid).toBe(uid);
  });

  test('a node cannot list or watch through the general API', async () => {
    const { api } = fixture();
    expect(await refusal(listWith(api(ghost), 'Secret', 'default'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot list secrets in namespace "default"`,
    });
    expect(await refusal(watchWith(api(ghost), 'Pod', 'default'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot watch pods in namespace "default"`,
    });
  });

  test('a node lists and watches Services and EndpointSlices (its service proxy and DNS need them), and cannot write them', async () => {
    const { api, apply, read } = fixture();
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'seen-by-nodes', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    await apply(service as never);
    const services = await listWith(api(ghost), 'Service', 'shop');
    expect(services.items_json.map((json) => (JSON.parse(json) as { metadata: { name: string } }).metadata.name)).toContain('seen-by-nodes');
    expect(await watchWith(api(ghost), 'Service', 'shop')).toMatchObject({ type: 'ADDED' });
    await waitFor(async () => ((await listWith(api(ghost), 'EndpointSlice', 'shop')).items_json.length > 0 ? true : undefined), {
      timeoutMs: 20_000,
      description: 'the EndpointSlice of seen-by-nodes, listed as a node',
    });
    const before = (await read('Service', 'shop', 'seen-by-nodes'))?.metadata.resourceVersion;
    expect(await refusal(applyWith(api(ghost), { ...service, spec: { ...service.spec, ports: [{ port: 81 }] } } as never))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot update services "seen-by-nodes" in namespace "shop"`,
    });
    expect(await refusal(deleteWith(api(ghost), 'Service', 'shop', 'seen-by-nodes'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot delete services "seen-by-nodes" in namespace "shop"`,
    });
    expect((await read('Service', 'shop', 'seen-by-nodes'))?.metadata.resourceVersion).toBe(before);
  });

  test("a node watching another node's assignments is PERMISSION_DENIED; its own are served", async () => {
    const { nodeApi } = fixture();
    expect(await refusal(watchAssignments(nodeApi(ghost), 'node-a'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot watch pods at the cluster scope`,
    });
    expect((await watchAssignments(nodeApi(ghost), 'ghost')).type).toBe('SYNCED');
    const first = await watchAssignments(nodeApi(nodeA), 'node-a');
    expect(first.type).toBe('ADDED');
    expect((JSON.parse(first.pod_json) as Pod).metadata.name).toBe('talker');
  });

  test('a node reads a Secret a pod bound to it references, and no other', async () => {
    const { api } = fixture();
    const readSecret = (identity: Identity, name: string) => getWith(api(identity), 'Secret', 'default', name);
    const allowed = JSON.parse((await readSecret(nodeA, 'app-creds')).object_json) as Secret;
    expect(Buffer.from(allowed.data?.['password'] ?? '', 'base64').toString()).toBe('used-by-talker');
    expect(await refusal(readSecret(nodeA, 'unreferenced'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'user "system:node:node-a" cannot get secrets "unreferenced" in namespace "default"',
    });
    expect(await refusal(readSecret(ghost, 'app-creds'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot get secrets "app-creds" in namespace "default"`,
    });
  });

  test.each([
    ['in its own name', 'ghost'],
    ['in the name of the node that runs it', 'node-a'],
  ])('a node reporting status %s for a pod bound to another node is PERMISSION_DENIED, and the pod is unchanged', async (_how, nodeName) => {
    const { nodeApi } = fixture();
    const before = await pod();
    const report = { nodeName, namespace: 'default', name: 'talker', uid: before?.metadata.uid ?? '', status: { phase: 'Failed', message: 'hijacked' } };
    expect(await refusal(updatePodStatus(nodeApi(ghost), report))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot update pods/status "talker" in namespace "default"`,
    });
    const after = await pod();
    expect(after?.status?.phase).toBe('Running');
    expect(after?.status?.message).not.toBe('hijacked');
  });

  test("a node records Events only about itself and its pods: ghost cannot write about node-a's pod, nor overwrite node-a's events", async () => {
    const { api, admin, read } = fixture();
    const talker = await pod();
    const eventsAboutTalker = async (): Promise<Event[]> => {
      const { items_json } = await listWith(admin, 'Event', 'default');
      return items_json.map((item) => JSON.parse(item) as Event).filter((e) => e.involvedObject.name === 'talker' && e.source?.component === 'skiff-agent');
    };
    // node-a's own agent recorded that it started talker's container.
    const started = await waitFor(async () => (await eventsAboutTalker()).find((e) => e.reason === 'Started'), { timeoutMs: 30_000, description: "node-a's Started event about talker" });
    expect(started.source).toEqual({ component: 'skiff-agent', host: 'node-a' });
    const forged = (name: string, involvedObject: Event['involvedObject'], namespace = 'default'): Event => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      type: 'Warning',
      reason: 'Forged',
      message: 'written by ghost',
      count: 1,
      source: { component: 'skiff-agent', host: 'node-a' },
    });
    const aboutTalker = { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'talker', uid: talker?.metadata.uid ?? '' };
    // The hostile case: an event about a pod bound to another node.
    expect(await refusal(applyWith(api(ghost), forged('talker.forged', aboutTalker)))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot create events "talker.forged" in namespace "default"`,
    });
    // Overwriting node-a's event under its name, claiming it is about ghost's own Node: the stored event is node-a's pod's.
    expect(await refusal(applyWith(api(ghost), forged(started.metadata.name, { apiVersion: 'v1', kind: 'Node', name: 'ghost' })))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot update events ${JSON.stringify(started.metadata.name)} in namespace "default"`,
    });
    expect(await read('Event', 'default', 'talker.forged')).toBeUndefined();
    expect((await read<Event>('Event', 'default', started.metadata.name))?.metadata.resourceVersion).toBe(started.metadata.resourceVersion);
    // Reading or deleting events is not for nodes either.
    expect((await refusal(listWith(api(nodeA), 'Event', 'default'))).code).toBe('PERMISSION_DENIED');
    expect((await refusal(deleteWith(api(nodeA), 'Event', 'default', started.metadata.name))).code).toBe('PERMISSION_DENIED');
    // What a node may write: about its own Node (in "default"), and about the pods bound to it.
    expect((await applyWith(api(ghost), forged('ghost.own', { apiVersion: 'v1', kind: 'Node', name: 'ghost' }))).outcome).toBe('created');
    expect((await applyWith(api(nodeA), forged('talker.by-node-a', aboutTalker))).outcome).toBe('created');
  });

  test('a node cannot register, heartbeat or cordon as another node', async () => {
    const { nodeApi, api } = fixture();
    // Heartbeats are noted in the control plane's memory only (no Lease is written); the
    // authorization is still that of updating the node's own lease, refused before anything is noted.
    expect(await refusal(registerNode(nodeApi(ghost), reportedNode('node-a', { hijacked: 'yes' })))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot update nodes "node-a" at the cluster scope`,
    });
    expect(await refusal(heartbeat(nodeApi(ghost), 'quiet'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot update leases "quiet" in namespace "skiff-system"`,
    });
    expect(await refusal(cordonWith(api(ghost), 'node-a'))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `${GHOST} cannot patch nodes "node-a" at the cluster scope`,
    });
    const node = await nodeAObject();
    expect(node?.metadata.labels?.['hijacked']).toBeUndefined();
    expect(node?.spec.unschedulable).toBeUndefined();
  });

  test('only a node renews a node certificate', async () => {
    const { nodeApi, cluster } = fixture();
    const adminNodeApi = nodeApi(adminIdentity(cluster.adminKubeconfig));
    expect(await refusal(unary((m, o, cb) => adminNodeApi.RenewCertificate({ csr_pem: '', addresses: [] }, m, o, cb)))).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'user "admin" is not a node; only a node renews its certificate',
    });
  });
});

describe('hostile requests: the agent API answers the control plane only', () => {
  const agentAddress = async () => (await nodeAObject())?.status?.daemonEndpoints?.agentEndpoint?.address ?? '';
  const logsAs = async (identity?: Identity) => {
    const client = createAgentClient(await agentAddress(), {}, tlsCredentials(fixture().ca.certPem, identity));
    try {
      const chunks = await allMessages<{ data: Buffer }>((m, o) => client.Logs({ namespace: 'default', pod: 'talker', container: 'main', follow: false, tail_lines: 0 }, m, o));
      return Buffer.concat(chunks.map((chunk) => chunk.data)).toString();
    } finally {
      client.close();
    }
  };
  const onlyControlPlane = (who: string) => ({
    code: 'PERMISSION_DENIED',
    details: `this agent answers only the control plane (system:skiff-controlplane), not "${who}"`,
  });

  test.each([
    ['the admin certificate', async () => adminIdentity(fixture().cluster.adminKubeconfig), 'admin'],
    ["the node's own certificate", async () => nodeA, 'system:node:node-a'],
    ["another node's certificate", async () => ghost, 'system:node:ghost'],
  ])('Logs with %s is PERMISSION_DENIED', async (_what, identity, who) => {
    expect(await refusal(logsAs(await identity()))).toEqual(onlyControlPlane(who));
  });

  test.each([
    ['the admin certificate', async () => adminIdentity(fixture().cluster.adminKubeconfig), 'admin'],
    ["the node's own certificate", async () => nodeA, 'system:node:node-a'],
  ])('GetResourceMetrics with %s is PERMISSION_DENIED', async (_what, identity, who) => {
    const client = createAgentClient(await agentAddress(), {}, tlsCredentials(fixture().ca.certPem, await identity()));
    try {
      expect(await refusal(unary((m, o, cb) => client.GetResourceMetrics({}, m, o, cb)))).toEqual(onlyControlPlane(who));
    } finally {
      client.close();
    }
  });

  test('Logs without a client certificate fails the TLS handshake: the agent requires one', async () => {
    const refused = await refusal(logsAs());
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.details).toContain('tlsv13 alert certificate required');
  });

  test('Logs with a certificate from another CA naming the control plane does not get past TLS', async () => {
    const impostor = await issueIdentity(await foreignCa(), 'system:skiff-controlplane', ['system:controlplanes']);
    // The agent drops the handshake; how grpc-js words a dropped connection varies (reset, alert, failed to connect).
    expect(await refusal(logsAs(impostor))).toMatchObject({ code: 'UNAVAILABLE', details: expect.stringContaining('No connection established') });
  });

  test("the control plane's own certificate is answered, and ctl logs (proxied by the control plane) works", async () => {
    const { cluster } = fixture();
    const pki = join(cluster.dataDir, 'pki');
    const controlPlane = {
      certPem: readFileSync(join(pki, 'controlplane-client.crt'), 'utf8'),
      keyPem: readFileSync(join(pki, 'controlplane-client.key'), 'utf8'),
    };
    expect(await logsAs(controlPlane)).toBe('hello-from-talker\n');
    const viaCtl = await cluster.ctl(['logs', 'talker']);
    expect(viaCtl).toMatchObject({ code: 0, stdout: 'hello-from-talker\n' });
  });
});

function adminIdentity(kubeconfig: string): Identity {
  const { certPem, keyPem } = readAdminCredentials(kubeconfig);
  return { certPem, keyPem };
}

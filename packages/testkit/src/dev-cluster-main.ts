#!/usr/bin/env node
// `npm run cluster`: a local cluster on the default ports — etcd, the control
// plane (TLS, with the CA, keys, join token and admin kubeconfig it generates),
// an image registry on 127.0.0.1:5000 holding the busybox example image, and
// one node agent joined with the token — with manifests/ applied. Both data
// dirs live in .skiff/ and are kept across runs. Ctrl-C stops everything it
// started, containers included.
//
// `npm run cluster -- --ha`: three control planes in HA mode on 127.0.0.11,
// .12 and .13 (each on the default ports, each starting the etcd member it
// supervises: one 3-member etcd cluster with TLS), the CA and keys copied from
// the first to the others, the agent given all three; data in .skiff/ha/.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildBusyboxImage } from './busybox-image.js';
import { startHaCluster } from './ha-cluster.js';
import { startLocalCluster, type LocalAgent } from './local-cluster.js';
import { startRegistry } from './registry.js';
import { AGENT_MAIN, MANIFESTS_DIR, REPO_ROOT } from './repo-paths.js';

const say = (line: string): boolean => process.stdout.write(`${line}\n`);
/** `path` as the user can type it from where they ran `npm run cluster` (the repo root). */
const here = (path: string): string => relative(process.cwd(), path) || '.';
const args = process.argv.slice(2);
const ha = args.includes('--ha');
const unknown = args.filter((arg) => arg !== '--ha');
if (unknown.length > 0) {
  process.stderr.write(`npm run cluster: unknown argument ${unknown[0]}; usage: npm run cluster [-- --ha]\n`);
  process.exit(2);
}
const runtime = process.getuid?.() === 0 ? 'runc' : 'process';

/**
 * etcd's data and the control plane's belong together: its Secrets are
 * encrypted with the control plane's key and its join tokens pin its CA. One
 * without the other (an older Skiff kept only etcd's) cannot be used, so it is
 * moved aside, not deleted, and both start afresh.
 */
function keepTogether(dirs: readonly { dir: string; holdsData: boolean }[]): void {
  if (dirs.every((d) => d.holdsData) || dirs.every((d) => !d.holdsData)) return;
  for (const { dir, holdsData } of dirs) {
    if (!holdsData) continue;
    const aside = `${dir}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(dir, aside);
    say(`${here(dir)} holds data without its partner in .skiff/ (written by an older Skiff?): moved it to ${here(aside)}; remove that when you no longer need it.`);
  }
}

say('starting the image registry on 127.0.0.1:5000 and pushing the busybox example image…');
const registry = await startRegistry({ port: 5000 });
// The image's OCI layout is only the way into the registry: removed once pushed.
const imageDir = await mkdtemp(join(tmpdir(), 'skiff-image-'));
try {
  await buildBusyboxImage(join(imageDir, 'layout'), registry.address);
} finally {
  await rm(imageDir, { recursive: true, force: true });
}

/** Ctrl-C or SIGTERM (or stop(code)) stops `stopCluster`'s processes and the registry, then exits. */
function stopOnSignals(what: string, stopCluster: () => Promise<void>): { stop: (code: number) => Promise<void>; stopping: () => boolean } {
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`\nstopping the cluster (${what})…`);
    await stopCluster().catch((error: unknown) => process.stderr.write(`${String(error)}\n`));
    await registry.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  return { stop, stopping: () => stopping };
}

function stopWhenAgentExits(agent: LocalAgent, stop: (code: number) => Promise<void>, stopping: () => boolean): void {
  void agent.process.exited.then((exit) => {
    if (!stopping()) {
      process.stderr.write(`the agent exited unexpectedly (${JSON.stringify(exit)}):\n${agent.process.output()}\n`);
      void stop(1);
    }
  });
}

if (ha) await runHa();
else await runSingle();

async function runSingle(): Promise<void> {
  const dataDir = `${REPO_ROOT}.skiff/etcd`;
  const controlPlaneDataDir = `${REPO_ROOT}.skiff/controlplane`;
  keepTogether([
    { dir: dataDir, holdsData: existsSync(join(dataDir, 'member')) },
    { dir: controlPlaneDataDir, holdsData: existsSync(join(controlPlaneDataDir, 'pki', 'ca.crt')) },
  ]);
  mkdirSync(dataDir, { recursive: true });
  say('starting etcd and the control plane…');
  const cluster = await startLocalCluster({
    dataDir,
    controlPlaneDataDir,
    etcdClientPort: 2479,
    etcdPeerPort: 2480,
    grpcAddress: '127.0.0.1:7400',
    httpAddress: '127.0.0.1:7401',
    // kubectl's usual port.
    controlPlaneArgs: ['--rest-listen', '127.0.0.1:6443'],
    // The documented pod network (10.244.0.0/16), not a test's leased slice.
    ownPodNetwork: false,
  });
  const { stop, stopping } = stopOnSignals('agent containers, control plane, etcd, registry', () => cluster.stop());
  say(`starting a node agent (${runtime} runtime)…`);
  const agent = await cluster.addAgent({ name: 'local-node', runtime, cpu: '2', memory: '2Gi' });
  stopWhenAgentExits(agent, stop, stopping);
  void cluster.controlPlane.exited.then((exit) => {
    if (!stopping()) {
      process.stderr.write(`the control plane exited unexpectedly (${JSON.stringify(exit)}):\n${cluster.controlPlane.output()}\n`);
      void stop(1);
    }
  });

  const applied = await cluster.ctl(['apply', '-f', MANIFESTS_DIR]);
  process.stdout.write(applied.stdout + applied.stderr);
  say('');
  say(`Skiff is up: control plane https://${cluster.grpcAddress} (TLS only), metrics http://${cluster.httpAddress}/metrics, etcd ${cluster.etcd.endpoint}, registry ${registry.address}`);
  say(`Its data is kept in ${here(`${REPO_ROOT}.skiff`)}/ for the next run: etcd in ${here(dataDir)}, the CA, keys, join token and admin kubeconfig in ${here(controlPlaneDataDir)}.`);
  say('');
  say("In another terminal, point ctl at the admin's kubeconfig (or copy it to ~/.skiff/config) and try:");
  say(`  export SKIFF_CONFIG=${cluster.adminKubeconfig}`);
  say('  npm run ctl -- get pods -o wide');
  say('  npm run ctl -- get deployments');
  say('  npm run ctl -- scale deployment/web --replicas 5');
  say('  npm run ctl -- logs -f <pod>');
  say(`kubectl works with the same kubeconfig (the Kubernetes REST API on https://${cluster.restAddress}):`);
  say(`  KUBECONFIG=${cluster.adminKubeconfig} kubectl get pods`);
  say('');
  say(`Add a node: an agent joins with the join token in ${here(cluster.tokenFile)}:`);
  say(
    `  node ${here(AGENT_MAIN)} --server ${cluster.grpcAddress} --token-file ${here(cluster.tokenFile)} ` +
      `--name node-2 --listen 127.0.0.1:7412 --http-listen 127.0.0.1:7413 --state-dir ${here(`${REPO_ROOT}.skiff/node-2`)} --runtime ${runtime}`,
  );
  say('(Ctrl-C here does not stop an agent started that way: stop it, then run it again with --reset to remove its containers.)');
  say('');
  say('Press Ctrl-C to stop.');
}

async function runHa(): Promise<void> {
  const root = `${REPO_ROOT}.skiff/ha`;
  say('starting three control planes in HA mode (127.0.0.11-13), each with its etcd member (TLS)…');
  const cluster = await startHaCluster({
    root,
    firstHost: 11,
    ports: { grpc: 7400, http: 7401, etcdClient: 2379, etcdPeer: 2380 },
    ownPodNetwork: false,
  });
  const { stop, stopping } = stopOnSignals('agent containers, control planes and their etcd members, registry', () => cluster.stop());
  say(`starting a node agent (${runtime} runtime) that knows all three servers…`);
  const agent = await cluster.addAgent({ name: 'local-node', runtime, cpu: '2', memory: '2Gi' });
  stopWhenAgentExits(agent, stop, stopping);
  for (const plane of cluster.controlPlanes) {
    void plane.started.controlPlane.exited.then((exit) => {
      if (!stopping()) process.stderr.write(`control plane ${plane.name} exited (${JSON.stringify(exit)}); the other two carry on:\n${plane.started.controlPlane.output()}\n`);
    });
  }
  const applied = await cluster.ctl(['apply', '-f', MANIFESTS_DIR]);
  process.stdout.write(applied.stdout + applied.stderr);
  say('');
  say(`Skiff is up in HA mode: control planes ${cluster.servers.map((s) => `https://${s}`).join(', ')} (TLS only), registry ${registry.address}`);
  for (const plane of cluster.controlPlanes) {
    say(`  ${plane.name}: data ${here(plane.dataDir)}, etcd member ${plane.etcdClientUrl} (peer ${plane.etcdPeerUrl}), metrics http://${plane.started.httpAddress}/metrics`);
  }
  say('');
  say('The admin kubeconfig names all three servers; ctl fails over between them:');
  say(`  export SKIFF_CONFIG=${here(cluster.adminKubeconfig)}`);
  say('  npm run ctl -- get pods -o wide');
  say(`Stop one (kill ${cluster.controlPlanes[0]!.started.controlPlane.pid}) and ctl carries on with the other two.`);
  say('');
  say('Press Ctrl-C to stop.');
}

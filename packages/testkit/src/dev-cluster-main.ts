#!/usr/bin/env node
// `npm run cluster`: a local cluster on the default ports — etcd (data in
// .skiff/), the control plane, an image registry on 127.0.0.1:5000 holding the
// busybox example image, and one node agent — with manifests/ applied. Ctrl-C
// stops everything it started, containers included.
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage } from './busybox-image.js';
import { startLocalCluster } from './local-cluster.js';
import { startRegistry } from './registry.js';
import { MANIFESTS_DIR, REPO_ROOT } from './repo-paths.js';

const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const dataDir = `${REPO_ROOT}.skiff/etcd`;
mkdirSync(dataDir, { recursive: true });

say('starting the image registry on 127.0.0.1:5000 and pushing the busybox example image…');
const registry = await startRegistry({ port: 5000 });
await buildBusyboxImage(join(await mkdtemp(join(tmpdir(), 'skiff-image-')), 'layout'), registry.address);

say('starting etcd and the control plane…');
const cluster = await startLocalCluster({
  dataDir,
  etcdClientPort: 2479,
  etcdPeerPort: 2480,
  grpcAddress: '127.0.0.1:7400',
  httpAddress: '127.0.0.1:7401',
});
let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  say('\nstopping the cluster (agent containers, control plane, etcd, registry)…');
  await cluster.stop().catch((error: unknown) => process.stderr.write(`${String(error)}\n`));
  await registry.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const runtime = process.getuid?.() === 0 ? 'runc' : 'process';
say(`starting a node agent (${runtime} runtime)…`);
const agent = await cluster.addAgent({ name: 'local-node', runtime, cpu: '2', memory: '2Gi' });
void agent.process.exited.then((exit) => {
  if (!stopping) {
    process.stderr.write(`the agent exited unexpectedly (${JSON.stringify(exit)}):\n${agent.process.output()}\n`);
    void stop(1);
  }
});
void cluster.controlPlane.exited.then((exit) => {
  if (!stopping) {
    process.stderr.write(`the control plane exited unexpectedly (${JSON.stringify(exit)}):\n${cluster.controlPlane.output()}\n`);
    void stop(1);
  }
});

const applied = await cluster.ctl(['apply', '-f', MANIFESTS_DIR]);
process.stdout.write(applied.stdout + applied.stderr);
say('');
say(`Skiff is up: control plane ${cluster.grpcAddress}, metrics http://${cluster.httpAddress}/metrics, etcd ${cluster.etcd.endpoint} (data in .skiff/), registry ${registry.address}`);
say('In another terminal try:');
say('  npm run ctl -- get pods -o wide');
say('  npm run ctl -- get deployments');
say('  npm run ctl -- scale deployment/web --replicas 5');
say('  npm run ctl -- logs -f <pod>');
say('Press Ctrl-C to stop.');

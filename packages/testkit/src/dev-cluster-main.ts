#!/usr/bin/env node
// `npm run cluster`: a local cluster on the default ports with its data in
// .skiff/, the manifests/ examples applied, running until Ctrl-C.
import { mkdirSync } from 'node:fs';
import { startLocalCluster } from './local-cluster.js';
import { MANIFESTS_DIR, REPO_ROOT } from './repo-paths.js';

const dataDir = `${REPO_ROOT}.skiff/etcd`;
mkdirSync(dataDir, { recursive: true });
const cluster = await startLocalCluster({
  dataDir,
  etcdClientPort: 2479,
  etcdPeerPort: 2480,
  grpcAddress: '127.0.0.1:7400',
  httpAddress: '127.0.0.1:7401',
});

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping the cluster…\n');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

const applied = await cluster.ctl(['apply', '-f', MANIFESTS_DIR]);
process.stdout.write(applied.stdout + applied.stderr);
const deployments = await cluster.ctl(['get', 'deployments', '-A']);
process.stdout.write(deployments.stdout);
process.stdout.write(
  [
    '',
    `Skiff is up: control plane ${cluster.grpcAddress} (metrics http://${cluster.httpAddress}/metrics), etcd ${cluster.etcd.endpoint}, data in .skiff/`,
    'In another terminal try:',
    '  npm run ctl -- get deployments -A',
    '  npm run ctl -- describe deployment web',
    '  npm run ctl -- scale deployment/web --replicas 5',
    '  npm run ctl -- api-resources',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
void cluster.controlPlane.exited.then((exit) => {
  if (stopping) return;
  process.stderr.write(`control plane exited unexpectedly (${JSON.stringify(exit)}):\n${cluster.controlPlane.output()}\n`);
  void stop().then(() => process.exit(1));
});

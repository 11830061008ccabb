// npm run bench:rest-api — the Kubernetes REST door beside the gRPC door in
// the same run, on the same cluster and objects: LIST of N objects (JSON;
// consistent "" and from the watch cache "0"), and one watch delivering N
// events from history. The gRPC figures are the reference (ratio REST/gRPC).
// ConfigMaps (600-byte padding), not Pods: N pods with no node would be the
// scheduler's work (an event each) during the measurement.
import { request as httpsRequest } from 'node:https';
import { readAdminCredentials, startLocalCluster, type LocalCluster } from '@skiff/testkit';
import { call, fixed, mapConcurrent, percentile } from './bench-support.js';

const N = Number(process.env.BENCH_OBJECTS ?? 10_000);
const LISTS = 10;
const PADDING = 'x'.repeat(600);

function restGet(cluster: LocalCluster, path: string, onData?: (chunk: string) => boolean): Promise<string> {
  const admin = readAdminCredentials(cluster.adminKubeconfig);
  const colon = cluster.restAddress.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      { host: cluster.restAddress.slice(0, colon), port: Number(cluster.restAddress.slice(colon + 1)), path, ca: admin.caPem, cert: admin.certPem, key: admin.keyPem },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          if (onData?.(chunk)) {
            request.destroy();
            resolve('');
          } else if (!onData) text += chunk;
        });
        response.on('end', () => resolve(text));
      },
    );
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    request.end();
  });
}

async function p50(run: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < LISTS; i++) {
    const began = performance.now();
    await run();
    times.push(performance.now() - began);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

const cluster = await startLocalCluster({ controlPlaneArgs: ['--watch-cache-size', String(N * 2)] });
try {
  const api = cluster.apiClient();
  const listGrpc = (resourceVersion: string) =>
    call<{ items_json: string[]; resource_version: string }>((cb) =>
      api.List({ kind: 'configmaps', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: resourceVersion }, cb),
    );
  const before = (await listGrpc('')).resource_version;
  await mapConcurrent(
    Array.from({ length: N }, (_, i) => `bench-${i}`),
    64,
    async (name) => {
      const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { padding: PADDING } };
      await call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));
    },
  );
  const expectItems = (count: number, door: string): void => {
    if (count < N) throw new Error(`${door} listed ${count} configmaps, expected ${N}`);
  };
  const path = '/api/v1/namespaces/default/configmaps';
  const grpcList = { consistent: await p50(async () => expectItems((await listGrpc('')).items_json.length, 'gRPC')), cached: await p50(async () => expectItems((await listGrpc('0')).items_json.length, 'gRPC')) };
  const restList = {
    consistent: await p50(async () => expectItems((JSON.parse(await restGet(cluster, path)) as { items: unknown[] }).items.length, 'REST')),
    cached: await p50(async () => expectItems((JSON.parse(await restGet(cluster, `${path}?resourceVersion=0`)) as { items: unknown[] }).items.length, 'REST')),
  };

  const grpcWatch = await (async () => {
    const began = performance.now();
    await new Promise<void>((resolve, reject) => {
      let events = 0;
      const stream = api.Watch({ kind: 'configmaps', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: before });
      stream.on('data', () => {
        if (++events >= N) {
          stream.cancel();
          resolve();
        }
      });
      stream.on('error', (error: Error & { code?: number }) => (error.code === 1 ? undefined : reject(error)));
    });
    return performance.now() - began;
  })();
  const restWatch = await (async () => {
    const began = performance.now();
    let lines = 0;
    await restGet(cluster, `${path}?watch=true&resourceVersion=${before}`, (chunk) => {
      for (const char of chunk) if (char === '\n') lines++;
      return lines >= N;
    });
    return performance.now() - began;
  })();
  api.close();

  const ratio = (rest: number, grpc: number): string => `REST/gRPC ${fixed(rest / grpc, 2)}`;
  process.stdout.write(
    [
      '',
      `REST API benchmark: ${N} ConfigMaps, the same cluster, REST (HTTPS/1.1 JSON) and gRPC (mTLS) in the same run`,
      `  list, consistent "" (p50 of ${LISTS})   REST ${fixed(restList.consistent, 0)} ms, gRPC ${fixed(grpcList.consistent, 0)} ms, ${ratio(restList.consistent, grpcList.consistent)}`,
      `  list, watch cache "0" (p50 of ${LISTS}) REST ${fixed(restList.cached, 0)} ms, gRPC ${fixed(grpcList.cached, 0)} ms, ${ratio(restList.cached, grpcList.cached)}`,
      `  watch delivering ${N} events        REST ${fixed(restWatch, 0)} ms, gRPC ${fixed(grpcWatch, 0)} ms, ${ratio(restWatch, grpcWatch)}`,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
}

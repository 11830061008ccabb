// A node certificate that lives a few seconds is renewed, again and again, by
// the agent (at 2/3 of its lifetime, over its current mTLS channel) without the
// node ever going NotReady: a watch on the Node records its Ready condition
// from before the first renewal to after the second, and it never leaves True.
// The Node's certificate-serials annotation moves on, heartbeats carry on with
// the new certificate, and the agent's state dir holds it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { type ApiClient, type Node, type ResourceObject } from '@skiff/api';
import { certificateInfo } from '@skiff/api/x509';
import { startLocalCluster, waitFor, type LocalAgent, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const NODE = 'renewer';
/** The certificate lifetime: renewed 4.4 s after its notBefore (backdated by 0.6 s), so every ~3.8 s. */
const NODE_CERT_TTL = '6s';
/**
 * Heartbeats every 500 ms; a node is NotReady once its lease is 4 s old. A
 * renewal that stalled heartbeats for that long would show; scheduling noise
 * on a loaded 2-core machine (a second or so) is not mistaken for it.
 */
const HEARTBEAT_MS = 500;
const LEASE_MS = 4000;
const SERIALS = 'skiff.io/certificate-serials';

let cluster: LocalCluster | undefined;
let agent: LocalAgent | undefined;
let api: ApiClient | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster({
    controlPlaneArgs: ['--node-cert-ttl', NODE_CERT_TTL, '--heartbeat-interval-ms', String(HEARTBEAT_MS), '--lease-duration-ms', String(LEASE_MS)],
  });
  // Pods are not the point: the process runtime needs no root.
  agent = await cluster.addAgent({ name: NODE, runtime: 'process', cpu: '1', memory: '1Gi' });
  api = cluster.apiClient();
}, 60_000);

afterAll(async () => {
  api?.close();
  await cluster?.stop();
}, 60_000);

function client(): ApiClient {
  if (!api) throw new Error('the cluster did not start');
  return api;
}

function get<T extends ResourceObject>(kind: string, namespace: string, name: string): Promise<T> {
  return new Promise((resolve, reject) => {
    client().Get({ ref: { kind, namespace, name } }, (error: ServiceError | null, response) =>
      error || !response ? reject(error ?? new Error('no response')) : resolve(JSON.parse(response.object_json) as T),
    );
  });
}

/** Heartbeats the control plane has answered OK, by its /metrics (liveness is kept in its memory, not in a Lease). */
async function heartbeatsAnswered(): Promise<number> {
  const text = await (await fetch(`http://${cluster?.httpAddress}/metrics`)).text();
  return [...text.matchAll(/^skiff_api_requests_total\{[^}]*method="Heartbeat"[^}]*code="OK"[^}]*\} (\d+)$/gm)].reduce((sum, [, count]) => sum + Number(count), 0);
}

const readyOf = (node: Node): string | undefined => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
/** The serial the node uses now: the annotation lists it first, then the previous one. */
const currentSerial = (node: Node): string | undefined => node.metadata.annotations?.[SERIALS]?.split(',')[0];

/** Every Ready status the Node had, as a watch delivers them, until stop(). */
function recordReadiness(fromRevision: string): { readonly seen: string[]; readonly problems: string[]; stop(): void } {
  const seen: string[] = [];
  const problems: string[] = [];
  let stopping = false;
  const stream: ClientReadableStream<{ type: string; object_json: string }> = client().Watch({
    kind: 'nodes',
    namespace: '',
    all_namespaces: true,
    label_selector: '',
    resource_version: fromRevision,
  });
  stream.on('data', (event: { type: string; object_json: string }) => {
    const node = JSON.parse(event.object_json) as Node;
    if (node.metadata.name === NODE) seen.push(event.type === 'DELETED' ? 'Deleted' : (readyOf(node) ?? 'none'));
  });
  stream.on('error', (error: ServiceError) => {
    if (!stopping) problems.push(`the watch failed: ${error.message}`);
  });
  stream.on('end', () => {
    if (!stopping) problems.push('the watch ended');
  });
  return {
    seen,
    problems,
    stop: () => {
      stopping = true;
      stream.cancel();
    },
  };
}

describe('node certificate renewal', () => {
  test('a short-lived node certificate renews twice while the node stays Ready and keeps heartbeating', async () => {
    const initial = await waitFor(
      async () => {
        const node = await get<Node>('nodes', '', NODE);
        return readyOf(node) === 'True' && currentSerial(node) ? node : undefined;
      },
      { timeoutMs: 20_000, description: `${NODE} Ready with a certificate serial` },
    );
    const readiness = recordReadiness(initial.metadata.resourceVersion ?? '');
    try {
      const serials = [currentSerial(initial) ?? ''];
      await waitFor(
        async () => {
          const serial = currentSerial(await get<Node>('nodes', '', NODE));
          if (serial && serial !== serials.at(-1)) serials.push(serial);
          return serials.length >= 3;
        },
        { timeoutMs: 40_000, intervalMs: 200, description: `two renewals of ${NODE}'s certificate (serials so far: ${serials.join(' → ')})` },
      );
      expect(new Set(serials).size).toBe(serials.length);

      // Heartbeats carry on after the renewals (with the new certificate): the control plane keeps answering them.
      const beats = await heartbeatsAnswered();
      await waitFor(async () => (await heartbeatsAnswered()) >= beats + 2, {
        timeoutMs: 10_000,
        description: `heartbeats from ${NODE} answered after the renewals`,
      });

      // The state dir holds the certificate the Node lists as current (a renewal may land between reads: poll for a matching pair).
      const certFile = join(agent?.stateDir ?? '', 'pki', 'node.crt');
      await waitFor(
        async () => {
          const onDisk = certificateInfo(await readFile(certFile, 'utf8'));
          const listed = currentSerial(await get<Node>('nodes', '', NODE));
          return onDisk.serialHex.toLowerCase() === listed?.toLowerCase() && !serials.slice(0, 2).includes(onDisk.serialHex.toLowerCase());
        },
        { timeoutMs: 10_000, description: `${certFile} to be the certificate the Node lists as current` },
      );
    } finally {
      readiness.stop();
    }
    expect(readiness.problems).toEqual([]);
    // Every renewal wrote the Node (the annotation), so the watch saw at least two updates, all of them Ready.
    expect(readiness.seen.length).toBeGreaterThanOrEqual(2);
    expect(readiness.seen.filter((status) => status !== 'True')).toEqual([]);
    expect(agent?.process.running).toBe(true);
  }, 90_000);
});

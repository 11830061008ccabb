import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { BACKOFF, backoffDelay, nodeApiServiceDefinition } from '@skiff/api';
import { certificateInfo, issueCertificate } from '@skiff/api/x509';
import { pino } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlPlaneLink } from '../control-plane-link.js';
import { CertificateRenewer } from './certificate-renewer.js';
import { loadNodeCredentials, type NodeCredentials } from './node-credentials.js';
import { FakeClock } from './test-clock.js';
import { recordingLogger } from './test-logger.js';
import { createTestPki, serveTls, type TestGrpcServer, type TestPki } from './test-pki.js';

const DAY_MS = 24 * 3600 * 1000;
const LIFETIME_MS = 30 * DAY_MS;
const quiet = pino({ level: 'silent' });

let pki: TestPki;
let stateDir: string;
const servers: TestGrpcServer[] = [];
const links: ControlPlaneLink[] = [];
/** Serial of the client certificate each RenewCertificate call came with. */
let callers: string[] = [];
let answers: ({ code: status; details: string } | 'renew')[] = [];

beforeAll(async () => {
  pki = await createTestPki('cluster-ca');
});
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'skiff-renewer-'));
  callers = [];
  answers = [];
});
afterEach(async () => {
  for (const link of links.splice(0)) link.close();
  for (const server of servers.splice(0)) server.stop();
  await rm(stateDir, { recursive: true, force: true });
});

type RenewCall = ServerUnaryCall<{ csr_pem: string; addresses: string[] }, unknown>;

/** A control plane serving RenewCertificate to node certificates; answers as `answers` says, then renews. */
async function renewServer(): Promise<string> {
  const server = await serveTls(pki, nodeApiServiceDefinition(), {
    RenewCertificate: (call: RenewCall, callback: sendUnaryData<unknown>) => {
      const peer = call.getAuthContext()?.sslPeerCertificate;
      callers.push(peer ? peer.serialNumber.toLowerCase() : 'none');
      const answer = answers.shift() ?? 'renew';
      if (answer !== 'renew') return callback(answer);
      if (!peer) return callback({ code: status.UNAUTHENTICATED, details: 'no client certificate' });
      const now = Date.now();
      issueCertificate({
        ca: pki.ca,
        csrPem: call.request.csr_pem,
        subject: { commonName: String(peer.subject.CN), organizations: ['system:nodes'] },
        ipAddresses: call.request.addresses,
        usages: ['client', 'server'],
        notBefore: new Date(now),
        notAfter: new Date(now + LIFETIME_MS),
      }).then(({ certPem }) => callback(null, { certificate_pem: certPem }), (error: Error) => callback({ code: status.INVALID_ARGUMENT, details: error.message }));
    },
  });
  servers.push(server);
  return server.address;
}

async function nodeCredentials(notBefore: Date): Promise<NodeCredentials> {
  const { certPem, keyPem } = await pki.client('system:node:node-a', { organizations: ['system:nodes'], notBefore, lifetimeMs: LIFETIME_MS });
  return { caPem: pki.ca.certPem, certPem, keyPem };
}

interface Harness {
  renewer: CertificateRenewer;
  clock: FakeClock;
  link: ControlPlaneLink;
  renewed: NodeCredentials[];
  initial: NodeCredentials;
}

async function harness(options: { notBefore?: Date; rejoin?: () => Promise<NodeCredentials>; log?: ReturnType<typeof recordingLogger>['log'] } = {}): Promise<Harness> {
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const initial = await nodeCredentials(notBefore);
  const link = new ControlPlaneLink({ servers: [await renewServer()], credentials: initial });
  links.push(link);
  const clock = new FakeClock(Date.now());
  const renewed: NodeCredentials[] = [];
  const renewer = new CertificateRenewer({
    stateDir,
    nodeName: 'node-a',
    addresses: ['127.0.0.1'],
    credentials: initial,
    client: () => link.client,
    onRenewed: (credentials) => {
      renewed.push(credentials);
      link.useCredentials(credentials);
    },
    ...(options.rejoin ? { rejoin: options.rejoin } : {}),
    log: options.log ?? quiet,
    clock,
  });
  return { renewer, clock, link, renewed, initial };
}

const serialOf = (credentials: NodeCredentials): string => certificateInfo(credentials.certPem).serialHex;

describe('CertificateRenewer', () => {
  it('renews at 2/3 of the lifetime over the current mTLS channel, with a fresh key, saved, and the channel moves to the new certificate', async () => {
    const { renewer, clock, link, renewed, initial } = await harness();
    const { notBefore } = certificateInfo(initial.certPem);
    expect(renewer.renewAt).toBe(notBefore.getTime() + (LIFETIME_MS * 2) / 3);
    renewer.start();
    clock.advanceTo(renewer.renewAt - 1);
    expect(callers).toEqual([]);
    clock.advanceTo(renewer.renewAt);
    await vi.waitFor(() => expect(renewed).toHaveLength(1));

    const [fresh] = renewed;
    if (!fresh) throw new Error('no renewal');
    expect(callers).toEqual([serialOf(initial)]);
    expect(fresh.keyPem).not.toBe(initial.keyPem);
    expect(certificateInfo(fresh.certPem)).toMatchObject({ commonName: 'system:node:node-a', ipAddresses: ['127.0.0.1'] });
    expect(renewer.credentials).toEqual(fresh);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(fresh);

    // The next call presents the renewed certificate; the next renewal is due 2/3 into its lifetime.
    await renewer.renew('test');
    expect(callers).toEqual([serialOf(initial), serialOf(fresh)]);
    expect(link.server).toMatch(/^127\.0\.0\.1:\d+$/);
    renewer.stop();
    expect(clock.pending).toBe(0);
  });

  it('retries a failed renewal with the nodeSession back-off', async () => {
    const { log, lines } = recordingLogger();
    const { renewer, clock, renewed } = await harness({ log });
    answers = [{ code: status.UNAVAILABLE, details: 'etcd is not answering' }];
    renewer.start();
    clock.advanceTo(renewer.renewAt);
    await vi.waitFor(() => expect(lines().some((line) => line.msg.startsWith('certificate renewal failed'))).toBe(true));
    const waitMs = backoffDelay(BACKOFF.nodeSession, 1);
    expect(lines().find((line) => line.msg.startsWith('certificate renewal failed'))?.msg).toBe(`certificate renewal failed; retrying in ${waitMs} ms`);
    await vi.waitFor(() => expect(clock.pending).toBe(1));
    clock.advanceTo(clock.now() + waitMs);
    await vi.waitFor(() => expect(renewed).toHaveLength(1));
    expect(callers).toHaveLength(2);
    renewer.stop();
  });

  it('renews at once when started with a reason (the certificate does not name the serving host)', async () => {
    const { renewer, clock, renewed } = await harness();
    renewer.start('the certificate does not name 10.0.0.5');
    clock.advanceTo(clock.now());
    await vi.waitFor(() => expect(renewed).toHaveLength(1));
    renewer.stop();
  });

  it('shares one renewal among concurrent callers', async () => {
    const { renewer, renewed } = await harness();
    const [a, b] = await Promise.all([renewer.renew('one'), renewer.renew('two')]);
    expect(a).toBe(b);
    expect(renewed).toHaveLength(1);
    expect(callers).toHaveLength(1);
  });

  it('treats UNAUTHENTICATED before the renewal time as revocation: it says what to do, once, and renews nothing', async () => {
    const { log, lines } = recordingLogger();
    const { renewer } = await harness({ log });
    const refusal = Object.assign(new Error('16 UNAUTHENTICATED'), { code: status.UNAUTHENTICATED, details: 'node node-a does not exist' });
    renewer.refused(refusal);
    renewer.refused(refusal);
    renewer.refused(Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE }));
    const errors = lines().filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toContain("the control plane refuses this node's certificate: it was revoked");
    expect(errors[0]?.msg).toContain(`remove ${join(stateDir, 'pki')} and start it with --token`);
    expect(callers).toEqual([]);
  });

  it('renews when a call is refused past the renewal time', async () => {
    const { renewer, clock, renewed } = await harness();
    clock.advanceTo(renewer.renewAt + 1);
    renewer.refused(Object.assign(new Error('16 UNAUTHENTICATED'), { code: status.UNAUTHENTICATED }));
    await vi.waitFor(() => expect(renewed).toHaveLength(1));
  });

  it('joins again with the token when the certificate expired and renewal is refused', async () => {
    const replacement = await nodeCredentials(new Date(Date.now() - 60_000));
    const rejoin = vi.fn(async () => replacement);
    const { renewer, clock, renewed } = await harness({ rejoin });
    answers = [{ code: status.UNAUTHENTICATED, details: 'certificate expired' }];
    clock.advanceTo(Date.now() + LIFETIME_MS + DAY_MS);
    await renewer.renew('expired');
    expect(rejoin).toHaveBeenCalledTimes(1);
    expect(renewed).toEqual([replacement]);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(replacement);
  });

  it('does not join again while the certificate is still valid', async () => {
    const rejoin = vi.fn(async () => nodeCredentials(new Date()));
    const { renewer } = await harness({ rejoin });
    answers = [{ code: status.UNAUTHENTICATED, details: 'revoked' }];
    await expect(renewer.renew('test')).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(rejoin).not.toHaveBeenCalled();
  });
});

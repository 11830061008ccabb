// Joining a cluster with a token: pin the CA the token names, send a CSR for
// system:node:<name> over TLS (server verified, no client certificate yet)
// with the token as bearer metadata, and keep the certificate that comes back.
// A control plane that cannot be reached is retried (every --server in turn,
// then a back-off); a refusal is final and says how to fix it.
import { credentials as grpcCredentials, Metadata, status } from '@grpc/grpc-js';
import {
  BACKOFF,
  backoffDelay,
  createNodeApiClient,
  FailedPreconditionError,
  grpcCodeOf,
  InvalidError,
  messageOf,
  parseJoinToken,
  PermissionDeniedError,
  SkiffError,
  UnauthenticatedError,
} from '@skiff/api/core';
import type { KeyPairPem } from '@skiff/api/x509';
import { caCertificateHash } from '@skiff/api/x509/facts';
import type { Logger } from 'pino';
import { detailsOf, unary } from '../grpc-call.js';
import { checkNodeCredentials, nodeIdentity, type NodeCredentials } from './node-credentials.js';
import { fetchPinnedCa } from './pinned-ca.js';

export const NODE_GROUP = 'system:nodes';

export interface JoinOptions {
  /** Control-plane addresses (HOST:PORT), tried in order. */
  readonly servers: readonly string[];
  /** The join token as `skiff-controlplane token create` prints it. */
  readonly token: string;
  readonly nodeName: string;
  /** Hosts the agent serves on: the certificate's SANs, for the control plane dialling back. */
  readonly addresses: readonly string[];
  readonly log: Logger;
  /** Ends the retries (the agent is stopping). */
  readonly signal?: AbortSignal;
  /** For tests: how to wait between rounds of attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Joins through the first control plane that answers; retries while none does. */
export async function joinCluster(options: JoinOptions): Promise<NodeCredentials> {
  const token = parseJoinToken(options.token);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let round = 1; ; round++) {
    for (const server of options.servers) {
      options.signal?.throwIfAborted();
      try {
        const credentials = await joinThrough(server, token, options);
        options.log.info({ server, node: options.nodeName, token: token.id }, 'joined the cluster');
        return credentials;
      } catch (error) {
        if (grpcCodeOf(error) !== status.UNAVAILABLE) throw explainRefusal(server, token.id, options.nodeName, error);
        options.log.warn({ server, err: messageOf(error) }, 'control plane unreachable for joining');
      }
    }
    const waitMs = backoffDelay(BACKOFF.nodeSession, round);
    options.log.warn({ servers: options.servers, waitMs }, `no control plane answered; retrying the join in ${waitMs} ms`);
    await sleep(waitMs);
  }
}

/** A fresh key and a CSR for this node's identity (the control plane sets the subject it signs). */
export async function nodeCsr(nodeName: string): Promise<{ keys: KeyPairPem; csrPem: string }> {
  // Key and CSR code (@peculiar/x509) loads only now, to join or renew: a
  // resident agent never carries it otherwise (see @skiff/api/x509/facts).
  const { createCsr, generateKeyPair } = await import('@skiff/api/x509');
  const keys = await generateKeyPair();
  const csrPem = await createCsr(keys, { commonName: nodeIdentity(nodeName), organizations: [NODE_GROUP] });
  return { keys, csrPem };
}

async function joinThrough(server: string, token: ReturnType<typeof parseJoinToken>, options: JoinOptions): Promise<NodeCredentials> {
  const caPem = await fetchPinnedCa(server, token.caHash);
  const { keys, csrPem } = await nodeCsr(options.nodeName);
  const client = createNodeApiClient(server, {}, grpcCredentials.createSsl(Buffer.from(caPem)));
  try {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token.id}.${token.secret}`);
    const response = await unary<{ certificate_pem: string; ca_pem: string }>((callback, callOptions) =>
      client.Join({ node_name: options.nodeName, csr_pem: csrPem, addresses: [...options.addresses] }, metadata, callOptions, callback),
    );
    if (response.ca_pem !== '' && caCertificateHash(response.ca_pem) !== token.caHash) {
      throw new InvalidError(`the control plane answered with a CA other than the one the join token pins (sha256:${token.caHash})`);
    }
    const credentials = { caPem, keyPem: keys.privateKeyPem, certPem: response.certificate_pem };
    checkNodeCredentials(credentials, options.nodeName);
    return credentials;
  } finally {
    client.close();
  }
}

/** A join failure in words: what was refused, and what to do about it. The token's secret never appears. */
function explainRefusal(server: string, tokenId: string, nodeName: string, error: unknown): SkiffError {
  const reason = detailsOf(error);
  switch (grpcCodeOf(error)) {
    case status.UNAUTHENTICATED:
      // The pinned-CA check refuses with its own complete sentence.
      if (error instanceof UnauthenticatedError) return error;
      return new UnauthenticatedError(
        `the control plane at ${server} refused join token ${tokenId}: ${reason}`,
      );
    case status.PERMISSION_DENIED:
      return new PermissionDeniedError(`the control plane at ${server} refused to let node ${nodeName} join (${reason})`);
    case status.UNIMPLEMENTED:
      return new FailedPreconditionError(
        `the control plane at ${server} does not serve Join (${reason}): it runs an older Skiff: upgrade it, or point --server at a current control plane`,
      );
    default:
      if (error instanceof SkiffError) return error;
      return new FailedPreconditionError(`joining the cluster through ${server} as node ${nodeName} failed: ${reason}`);
  }
}

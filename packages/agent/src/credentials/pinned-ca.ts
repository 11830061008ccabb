// Finding the cluster CA without trusting on first use. The join token carries
// the sha256 of the CA certificate's DER; the agent opens a TLS connection
// that verifies nothing, takes the chain the server presents, and keeps the
// certificate whose hash is the token's. Every later connection verifies the
// server against that CA alone. A server whose chain holds no such
// certificate is not the control plane the token came from.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate } from 'node:tls';
import { FailedPreconditionError, UnauthenticatedError, UnavailableError } from '@skiff/api/core';
import { caCertificateHash } from '@skiff/api/x509/facts';
import { parseHostPort } from '../host-port.js';

const DEFAULT_TIMEOUT_MS = 10_000;
/** OpenSSL's answer when the peer replies to a ClientHello with something that is not TLS (e.g. plaintext gRPC). */
const PLAINTEXT_PEER = 'ERR_SSL_WRONG_VERSION_NUMBER';

/**
 * The CA certificate (PEM) in the chain `server` presents whose hash is
 * `caHash` (lowercase hex sha256 of the DER). Throws UnavailableError when the
 * server cannot be reached, UnauthenticatedError when no certificate matches,
 * FailedPreconditionError when the server speaks no TLS or its serving certificate does
 * not name `server`'s host.
 */
export async function fetchPinnedCa(server: string, caHash: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const { host, port } = parseHostPort(server, '--server');
  const chain = await presentedChain(host, port, server, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const ca = chain.map((certificate) => new X509Certificate(certificate.raw).toString()).find((pem) => caCertificateHash(pem) === caHash);
  if (ca === undefined) {
    throw new UnauthenticatedError(
      `the server at ${server} presents no CA matching the join token's hash sha256:${caHash} — is --server the right control plane, and the token from its data dir?`,
    );
  }
  const [leaf] = chain;
  const mismatch = leaf ? checkServerIdentity(host, leaf) : undefined;
  if (mismatch) {
    throw new FailedPreconditionError(
      `the control plane's serving certificate does not name ${host} (${mismatch.message}): dial it by a name or address it serves, or add ${host} to its --tls-san`,
    );
  }
  return ca;
}

/** The certificates the server sent, leaf first. */
function presentedChain(host: string, port: number, server: string, timeoutMs: number): Promise<DetailedPeerCertificate[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // SNI takes host names only.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      // Verification happens below, against the pinned hash; nothing is sent on this connection.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('secureConnect', () => {
      const chain: DetailedPeerCertificate[] = [];
      const seen = new Set<string>();
      // A self-signed root is its own issuer: stop where the walk comes back.
      for (let certificate = socket.getPeerCertificate(true); certificate?.raw && !seen.has(certificate.fingerprint256); certificate = certificate.issuerCertificate) {
        seen.add(certificate.fingerprint256);
        chain.push(certificate);
      }
      socket.destroy();
      resolve(chain);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === PLAINTEXT_PEER) {
        reject(
          new FailedPreconditionError(
            `the server at ${server} does not speak TLS, and Skiff control planes serve TLS only: check that --server names the control plane's gRPC address (port 7400 by default)`,
          ),
        );
        return;
      }
      reject(new UnavailableError(`cannot reach the control plane at ${server} over TLS: ${error.code ? `${error.code} ` : ''}${error.message.trim()}`));
    });
  });
}

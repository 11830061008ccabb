// Who is calling: a client certificate the TLS layer already verified against
// the cluster CA (user = CN, groups = O), or a ServiceAccount bearer token.
// Node certificates are also checked against revocation (the Node and its
// join token must still exist, and list the certificate's serial).
import type { PeerCertificate } from 'node:tls';
import { AUTHENTICATED_GROUP, NODE_USER_PREFIX, NODES_GROUP, UnauthenticatedError } from '@skiff/api';
import { serviceAccountUser, type UserInfo } from './identity.js';
import type { ServiceAccountTokens } from './service-account-tokens.js';

export interface Credentials {
  /** grpc-js's AuthContext.sslPeerCertificate: an empty object (or absent) when the caller sent none. */
  readonly certificate?: PeerCertificate;
  /** The token of an `authorization: Bearer <token>` header (see bearerTokenOf). */
  readonly bearerToken?: string;
}

export interface AuthenticatorDeps {
  /** Throws UnauthenticatedError when this node's certificate is revoked; `serialHex` as normalizeSerialHex gives it. */
  readonly checkNodeCertificate: (nodeName: string, serialHex: string) => void | Promise<void>;
  readonly serviceAccounts: ServiceAccountTokens;
  /** True while the ServiceAccount exists with this uid (a re-created account does not inherit old tokens). */
  readonly serviceAccountExists: (namespace: string, name: string, uid: string) => boolean;
  readonly now?: () => Date;
}

/** kubeadm's bootstrap-token shape, bare or behind Skiff's CA pin (`SKF10<hash>::`). */
const JOIN_TOKEN = /^(?:SKF10[0-9a-f]{64}::)?[a-z0-9]{6}\.[a-z0-9]{16}$/;

const USE_CREDENTIALS =
  'use the admin kubeconfig the control plane wrote (ctl --kubeconfig <data-dir>/admin.kubeconfig, or set SKIFF_CONFIG or KUBECONFIG), ' +
  'another client certificate signed by the cluster CA, or a ServiceAccount token';

export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(credentials: Credentials): Promise<UserInfo> {
    const certificate = credentials.certificate;
    // Typed as always there, but Node gives `{}` for a connection without a client certificate.
    const subject = certificate?.subject as PeerCertificate['subject'] | undefined;
    if (certificate && subject) return this.fromCertificate(certificate);
    const token = credentials.bearerToken?.trim();
    if (token) return this.fromToken(token);
    throw new UnauthenticatedError(`no credentials: this call needs a client certificate signed by the cluster CA and still valid (an expired one, or one from another CA, does not count) or a bearer token; ${USE_CREDENTIALS}`);
  }

  /**
   * A certificate's user, groups and node, parsed once per certificate: they are
   * a function of its bytes, so its SHA-256 fingerprint keys them (a thousand
   * agents heartbeat with the same certificates all day). What may change is
   * checked on every call all the same: its expiry (a connection can outlive
   * the certificate it was opened with) and, for a node, revocation.
   */
  private readonly certificates = new Map<string, CertificateIdentity>();

  private async fromCertificate(certificate: PeerCertificate): Promise<UserInfo> {
    const fingerprint = certificate.fingerprint256;
    let identity = fingerprint ? this.certificates.get(fingerprint) : undefined;
    if (!identity) {
      identity = identify(certificate);
      if (fingerprint) {
        // Bounded: the oldest entry goes (Map keeps insertion order).
        if (this.certificates.size >= CERTIFICATE_CACHE_SIZE) this.certificates.delete(this.certificates.keys().next().value as string);
        this.certificates.set(fingerprint, identity);
      }
    }
    const now = (this.deps.now?.() ?? new Date()).getTime();
    if (now > identity.notAfterMs) {
      throw new UnauthenticatedError(`the client certificate of "${identity.user.name}" expired at ${new Date(identity.notAfterMs).toISOString()}; ${identity.nodeName ? 'the agent renews it before then: restart it, or join the node again' : USE_CREDENTIALS}`);
    }
    if (identity.nodeName !== undefined) await this.deps.checkNodeCertificate(identity.nodeName, identity.serialHex);
    return identity.user;
  }

  private async fromToken(token: string): Promise<UserInfo> {
    if (JOIN_TOKEN.test(token)) {
      throw new UnauthenticatedError(`a join token only lets an agent join the cluster (skiff-agent --token); for anything else ${USE_CREDENTIALS}`);
    }
    const account = await this.deps.serviceAccounts.verify(token, this.deps.now?.());
    if (!this.deps.serviceAccountExists(account.namespace, account.name, account.uid)) {
      throw new UnauthenticatedError(
        `the ServiceAccount "${account.namespace}/${account.name}" this token was issued for no longer exists (deleted, or re-created since); create it and a new token`,
      );
    }
    return serviceAccountUser(account.namespace, account.name);
  }
}

/** How many certificates' identities the authenticator remembers (more than a cluster's nodes and users). */
const CERTIFICATE_CACHE_SIZE = 10_000;

interface CertificateIdentity {
  readonly user: UserInfo;
  /** Set for a node certificate: revocation is checked on every call. */
  readonly nodeName?: string;
  readonly serialHex: string;
  /** The certificate's notAfter; +Infinity when the peer certificate does not say. */
  readonly notAfterMs: number;
}

/** User (CN), groups (O) and node of a verified client certificate; throws for one that names no user or is a malformed node certificate. */
function identify(certificate: PeerCertificate): CertificateIdentity {
  const cn = certificate.subject.CN;
  if (typeof cn !== 'string' || cn === '') {
    throw new UnauthenticatedError(`the client certificate has ${Array.isArray(cn) ? 'several common names' : 'no common name (CN)'}, so it names no user; ${USE_CREDENTIALS}`);
  }
  const organizations = certificate.subject.O;
  const groups = [...new Set([...(Array.isArray(organizations) ? organizations : organizations ? [organizations] : []), AUTHENTICATED_GROUP])];
  const claimsNode = cn.startsWith(NODE_USER_PREFIX) || groups.includes(NODES_GROUP);
  const nodeName = claimsNode ? cn.slice(NODE_USER_PREFIX.length) : undefined;
  if (claimsNode && (!cn.startsWith(NODE_USER_PREFIX) || nodeName === '' || !groups.includes(NODES_GROUP))) {
    throw new UnauthenticatedError(
      `the client certificate of "${cn}" is not a node certificate (CN ${NODE_USER_PREFIX}<node> with O ${NODES_GROUP}); a node gets one by joining (skiff-agent --token)`,
    );
  }
  const notAfter = certificate.valid_to ? Date.parse(certificate.valid_to) : Number.NaN;
  return {
    // Shared by every call with this certificate: frozen, so no caller can change who the next one is.
    user: Object.freeze({ name: cn, groups: Object.freeze(groups) }),
    ...(nodeName === undefined ? {} : { nodeName }),
    serialHex: normalizeSerialHex(certificate.serialNumber),
    notAfterMs: Number.isNaN(notAfter) ? Number.POSITIVE_INFINITY : notAfter,
  };
}

/** The token of an `authorization` header `Bearer <token>` (the scheme in any case), else undefined. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * One spelling of a certificate serial for every comparison: lowercase hex
 * without leading zeros (Node prints "0A1B…" in upper case; DER may pad a 00).
 */
export function normalizeSerialHex(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

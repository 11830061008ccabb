// What a node's certificate is worth: Join turns a valid join token and a CSR
// into a node certificate and records, on the Node, which token admitted it
// and which certificate serials are current. A node certificate is accepted
// only while that record says so, so deleting the Node (ctl delete node) or
// the token revokes it, and re-joining replaces it.
import {
  InvalidError,
  isDns1123Subdomain,
  kindInfo,
  UnauthenticatedError,
  toTimestamp,
  type Node,
  type Secret,
} from '@skiff/api';
import { normalizeSerialHex as normalizeSerial } from '../auth/index.js';
import type { Informer } from '../cache/index.js';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { issueNodeCertificate, type ClusterCa } from '../pki/index.js';
import { joinTokenOf, tokenSecretName, TOKEN_NAMESPACE, type JoinTokens } from './join-tokens.js';

const NODE = kindInfo('Node');
const SECRET = kindInfo('Secret');
export const JOIN_TOKEN_ANNOTATION = 'skiff.io/join-token';
export const SERIALS_ANNOTATION = 'skiff.io/certificate-serials';

export interface NodeCredentialsOptions {
  readonly objects: ObjectStore;
  readonly tokens: JoinTokens;
  readonly ca: ClusterCa;
  readonly nodes: Informer<Node>;
  readonly secrets: Informer<Secret>;
  /** Lifetime of node certificates; agents renew at 2/3 of it. */
  readonly certificateTtlMs: number;
  readonly clock?: () => Date;
}

export interface IssuedNodeCertificate {
  readonly certificatePem: string;
  readonly caPem: string;
}

function serialsOf(node: { readonly metadata: { readonly annotations?: Readonly<Record<string, string>> | undefined } } | undefined): string[] {
  const listed = node?.metadata.annotations?.[SERIALS_ANNOTATION];
  return listed ? listed.split(',').filter(Boolean) : [];
}

/**
 * Whether a Secret holds a join token, remembered per object: every call a node
 * makes asks it of the same cached (frozen, replaced on change) Secret, and
 * decoding its base64 fields each time was a tenth of a heartbeat's cost.
 */
const joinTokenSecrets = new WeakMap<object, boolean>();
function isJoinTokenSecret(secret: { readonly type?: string; readonly data?: Readonly<Record<string, string>> }): boolean {
  let known = joinTokenSecrets.get(secret);
  if (known === undefined) joinTokenSecrets.set(secret, (known = joinTokenOf(secret) !== undefined));
  return known;
}

export class NodeCredentials {
  private readonly clock: () => Date;

  constructor(private readonly options: NodeCredentialsOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** A new (or re-joining) agent: token in, certificate out. The token is `<id>.<secret>`. */
  async join(presentedToken: string, request: { nodeName: string; csrPem: string; addresses: readonly string[] }): Promise<IssuedNodeCertificate> {
    const token = await this.options.tokens.verify(presentedToken);
    const nodeName = checkNodeName(request.nodeName);
    const issued = await this.issue(nodeName, request.csrPem, request.addresses);
    // Re-joining revokes every earlier certificate of this node: only the new serial is listed.
    await this.record(nodeName, { [JOIN_TOKEN_ANNOTATION]: token.id, [SERIALS_ANNOTATION]: normalizeSerial(issued.serialHex) });
    return { certificatePem: issued.certPem, caPem: this.options.ca.certPem };
  }

  /** A node renews its own certificate; the previous one stays valid until the next renewal. */
  async renew(nodeName: string, request: { csrPem: string; addresses: readonly string[] }): Promise<IssuedNodeCertificate> {
    const issued = await this.issue(nodeName, request.csrPem, request.addresses);
    await this.record(nodeName, (node) => {
      const current = serialsOf(node)[0];
      return { [SERIALS_ANNOTATION]: [normalizeSerial(issued.serialHex), ...(current ? [current] : [])].join(',') };
    });
    return { certificatePem: issued.certPem, caPem: this.options.ca.certPem };
  }

  /**
   * Throws UnauthenticatedError unless the certificate with this serial is a
   * current one of `nodeName`, admitted by a token that still exists. Reads the
   * informers' caches; a miss is confirmed against the store (a Node written a
   * moment ago by Join may not have reached the cache yet).
   */
  async check(nodeName: string, serialHex: string): Promise<void> {
    const serial = normalizeSerial(serialHex);
    const cachedToken = (id: string) => this.options.secrets.get(`${TOKEN_NAMESPACE}/${tokenSecretName(id)}`);
    if (this.validIn(this.options.nodes.get(nodeName), cachedToken, serial)) return;
    const node = await this.options.objects.get<Node>(NODE, undefined, nodeName);
    const id = node?.metadata.annotations?.[JOIN_TOKEN_ANNOTATION];
    const token = id ? await this.options.objects.get<Secret>(SECRET, TOKEN_NAMESPACE, tokenSecretName(id)) : undefined;
    if (this.validIn(node, () => token, serial)) return;
    if (!node) throw new UnauthenticatedError(`node "${nodeName}" no longer exists, so its certificate is revoked; join the node again: remove <state-dir>/pki on it and start the agent with --token`);
    if (!serialsOf(node).includes(serial)) throw new UnauthenticatedError(`this certificate of node "${nodeName}" was replaced or revoked; join the node again with a token`);
    throw new UnauthenticatedError(`the join token that admitted node "${nodeName}" was deleted, which revokes its certificate; join the node again with a new token`);
  }

  private validIn(
    node: { readonly metadata: { readonly annotations?: Readonly<Record<string, string>> | undefined } } | undefined,
    tokenSecret: (id: string) => { readonly type?: string; readonly data?: Readonly<Record<string, string>> } | undefined,
    serial: string,
  ): boolean {
    if (!node || !serialsOf(node).includes(serial)) return false;
    const id = node.metadata.annotations?.[JOIN_TOKEN_ANNOTATION];
    const secret = id ? tokenSecret(id) : undefined;
    return secret !== undefined && isJoinTokenSecret(secret);
  }

  private async issue(nodeName: string, csrPem: string, addresses: readonly string[]) {
    const now = this.clock();
    return issueNodeCertificate(this.options.ca, {
      nodeName,
      csrPem,
      addresses: [...addresses],
      ttlMs: this.options.certificateTtlMs,
      now,
    });
  }

  private async record(
    nodeName: string,
    annotations: Record<string, string> | ((node: Node | undefined) => Record<string, string>),
  ): Promise<void> {
    await retryOnConflict(async () => {
      const existing = await this.options.objects.get<Node>(NODE, undefined, nodeName);
      const wanted = typeof annotations === 'function' ? annotations(existing) : annotations;
      if (existing) {
        const next: Node = { ...existing, metadata: { ...existing.metadata, annotations: { ...existing.metadata.annotations, ...wanted } } };
        await this.options.objects.update(NODE, next, Number(existing.metadata.resourceVersion));
        return;
      }
      const now = toTimestamp(this.clock());
      // A placeholder until the agent registers (capacity, addresses, pod CIDR); not Ready, so nothing schedules to it.
      const node: Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName, uid: crypto.randomUUID(), creationTimestamp: now, generation: 1, annotations: wanted },
        spec: {},
        status: {},
      };
      await this.options.objects.create(NODE, node);
    });
  }
}

function checkNodeName(name: string): string {
  if (!isDns1123Subdomain(name)) {
    throw new InvalidError(`node_name: a node name must be a lowercase RFC 1123 subdomain (like worker-1), not ${JSON.stringify(name)}`);
  }
  return name;
}

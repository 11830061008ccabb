// A client for the OCI distribution API, just enough to pull: manifests
// (index → the platform's manifest), and blobs streamed to disk with their
// digest and size verified on the way. Requests go through RegistryAuth
// (registry-auth.ts) over RegistryTransport (registry-transport.ts).
import { ImagePullError } from './errors.js';
import { writeVerified, verifyBytes, sha256Of, isSha256Digest, type BlobExpectation } from './digest.js';
import type { ImageReference } from './image-reference.js';
import {
  MANIFEST_ACCEPT,
  MAX_DOCUMENT_BYTES,
  hostPlatform,
  parseManifestDocument,
  selectPlatform,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './oci.js';
import { RegistryAuth, type CredentialsLookup } from './registry-auth.js';
import { RegistryTransport, assertOk, describeCause, readBody, type RegistryTransportOptions } from './registry-transport.js';

export interface RegistryClientOptions extends RegistryTransportOptions {
  /** Credentials per registry (the API host, e.g. "registry-1.docker.io"); anonymous when absent. */
  readonly credentials?: CredentialsLookup;
  /** Platform to pick from an index; default: linux and this host's architecture (amd64 here). */
  readonly platform?: Platform;
}

/** One manifest or index document as fetched, with the digest of its exact bytes. */
export interface FetchedDocument {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly parsed: ImageIndex | ImageManifest;
}

export interface ResolvedManifest {
  /** Digest of what the tag (or pinned digest) names: an index or a manifest. */
  readonly topDigest: string;
  /** Digest of the platform's image manifest. */
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  /** Every document fetched on the way, top first, so the store can keep them. */
  readonly documents: readonly FetchedDocument[];
}

const MAX_INDEX_DEPTH = 3;

export class RegistryClient {
  private readonly platform: Platform;
  private readonly transport: RegistryTransport;
  private readonly auth: RegistryAuth;

  constructor(options: RegistryClientOptions = {}, transport?: RegistryTransport) {
    this.platform = options.platform ?? hostPlatform();
    this.transport = transport ?? new RegistryTransport(options);
    this.auth = new RegistryAuth(this.transport, options.credentials);
  }

  /**
   * The same client authenticating with `credentials` (a pod's pull secrets),
   * with a token cache of its own, so tokens got with one pod's secrets never
   * serve another pod's pulls.
   */
  withCredentials(credentials: CredentialsLookup): RegistryClient {
    return new RegistryClient({ platform: this.platform, credentials }, this.transport);
  }

  /**
   * Fetches the manifest `reference` (a tag or a digest) names and, if that is
   * an index, the manifest for the configured platform. Every document's
   * digest is computed from its bytes; documents fetched by digest must match.
   */
  async resolve(ref: ImageReference, image: string = ref.original): Promise<ResolvedManifest> {
    const documents: FetchedDocument[] = [];
    let next = ref.digest ?? ref.tag ?? 'latest';
    for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
      const document = await this.fetchManifest(ref, next, image);
      documents.push(document);
      if (document.parsed.kind === 'manifest') {
        const [top] = documents;
        return {
          topDigest: top?.digest ?? document.digest,
          manifestDigest: document.digest,
          manifest: document.parsed,
          documents,
        };
      }
      next = selectPlatform(document.parsed, this.platform, image).digest;
    }
    throw new ImagePullError('invalid-image', image, `indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  }

  /** GET /v2/<name>/manifests/<reference>, verified against the digest when `reference` is one. */
  async fetchManifest(ref: ImageReference, reference: string, image: string = ref.original): Promise<FetchedDocument> {
    const what = `manifest ${ref.repository}:${reference}`;
    const url = this.transport.url(ref.registry, `/v2/${ref.repository}/manifests/${reference}`);
    const response = await this.auth.request(ref, url, { accept: MANIFEST_ACCEPT }, image, this.transport.requestSignal());
    await assertOk(response, image, what);
    const bytes = await readBody(response, MAX_DOCUMENT_BYTES, image, what);
    const digest = sha256Of(bytes);
    if (isSha256Digest(reference) && digest !== reference) {
      throw new ImagePullError('digest-mismatch', image, `${what}: content has digest ${digest}`);
    }
    const announced = response.headers.get('docker-content-digest');
    if (announced && isSha256Digest(announced) && announced !== digest) {
      throw new ImagePullError('digest-mismatch', image, `${what}: registry announced ${announced}, content has ${digest}`);
    }
    const contentType = response.headers.get('content-type') ?? undefined;
    return { digest, bytes, parsed: parseManifestDocument(bytes, image, what, contentType) };
  }

  /** A small blob (an image config) into memory, verified. */
  async fetchBlobBytes(ref: ImageReference, blob: BlobExpectation, image: string = ref.original): Promise<Buffer> {
    const what = `blob ${blob.digest}`;
    if (blob.size > MAX_DOCUMENT_BYTES) {
      throw new ImagePullError('invalid-image', image, `${what} is ${blob.size} bytes, too large to read into memory`);
    }
    const response = await this.auth.request(ref, this.blobUrl(ref, blob.digest), {}, image, this.transport.requestSignal());
    await assertOk(response, image, what);
    const bytes = await readBody(response, blob.size, image, what, 'digest-mismatch');
    verifyBytes(bytes, blob, image, what);
    return bytes;
  }

  /**
   * Streams a blob to `dest` (following redirects to storage back ends),
   * verifying size and digest as it arrives; a mismatch deletes the partial
   * file and throws 'digest-mismatch'. A stalled transfer is abandoned after
   * the idle timeout rather than after a fixed total, since layers can be large.
   */
  async downloadBlob(ref: ImageReference, blob: BlobExpectation, dest: string, image: string = ref.original): Promise<void> {
    const what = `blob ${blob.digest}`;
    const idle = this.transport.idleTimeout();
    try {
      const response = await this.auth.request(ref, this.blobUrl(ref, blob.digest), {}, image, idle.signal);
      await assertOk(response, image, what);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared !== blob.size) {
        await response.body?.cancel().catch(() => undefined);
        throw new ImagePullError('digest-mismatch', image, `${what}: expected ${blob.size} bytes, registry sends ${declared}`);
      }
      const body = response.body;
      if (!body) throw new ImagePullError('registry-error', image, `${what}: empty response`);
      // Whatever fails while the body streams in is the connection (reset,
      // closed, or aborted by the idle timeout); failures to write are not.
      const watched = async function* (): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of body) {
            idle.touch();
            yield chunk;
          }
        } catch (error) {
          throw new ImagePullError('unreachable', image, `${what}: download interrupted: ${describeCause(error)}`, { cause: error });
        }
      };
      await writeVerified(watched(), blob, dest, image, what);
    } finally {
      idle.stop();
    }
  }

  private blobUrl(ref: ImageReference, digest: string): string {
    return this.transport.url(ref.registry, `/v2/${ref.repository}/blobs/${digest}`);
  }
}

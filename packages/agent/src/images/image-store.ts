// Images as the agent needs them: pulled once, verified by digest, layers
// unpacked once per digest and shared by every container that uses them.
import type { CredentialsLookup } from './registry-auth.js';

export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  /** KEY=value pairs as the image declares them. */
  readonly env: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
}

export interface ResolvedImage {
  /** The reference as the pod spec wrote it. */
  readonly reference: string;
  /** Digest of the image manifest (sha256:…). */
  readonly digest: string;
  readonly config: ImageConfig;
  /** Unpacked layer directories, bottom layer first. */
  readonly layers: readonly string[];
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface EnsureOptions {
  /** Credentials per registry for this pull (the pod's imagePullSecrets); anonymous when absent. */
  readonly credentials?: CredentialsLookup;
}

export interface ImageStore {
  /**
   * Pulls (per policy) and unpacks `reference`; throws ImagePullError with a
   * clear reason. Always resolves the tag again on every call; layers already
   * present are not fetched again.
   */
  ensure(reference: string, policy: PullPolicy, options?: EnsureOptions): Promise<ResolvedImage>;
}

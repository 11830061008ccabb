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
  /** The signal that asks a container of this image to stop (config.StopSignal), as SIGNAME. */
  readonly stopSignal?: NodeJS.Signals;
}

export interface ResolvedImage {
  /** The reference as the pod spec wrote it. */
  readonly reference: string;
  /** Digest of the image manifest (sha256:…). */
  readonly digest: string;
  readonly config: ImageConfig;
  /** Unpacked layer directories, bottom layer first. */
  readonly layers: readonly string[];
  /** Bytes the registry holds for it: manifest, config and (compressed) layers, as kubelet's "Image size". */
  readonly sizeBytes?: number;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** How a pull went, for kubelet's "Successfully pulled image … in 1.2s (1.3s including waiting). Image size: N bytes." */
export interface PullResult {
  /** The pull from the registry, as far as this call saw it. */
  readonly pullMs: number;
  /** Since ensure() was called, waiting for another pull of the same image included. */
  readonly totalMs: number;
  readonly sizeBytes: number;
}

/** Told what a call to ensure() does, so the caller can say it (kubelet's Pulling and Pulled events). */
export interface PullProgress {
  /** The registry is asked (a pull begins, or the call joins one under way); not called when the image is used as present. */
  pulling(): void;
  pulled(result: PullResult): void;
}

export interface EnsureOptions {
  /** Credentials per registry for this pull (the pod's imagePullSecrets); anonymous when absent. */
  readonly credentials?: CredentialsLookup;
  readonly progress?: PullProgress;
}

export interface ImageStore {
  /**
   * Pulls (per policy) and unpacks `reference`; throws ImagePullError with a
   * clear reason. Always resolves the tag again on every call; layers already
   * present are not fetched again.
   */
  ensure(reference: string, policy: PullPolicy, options?: EnsureOptions): Promise<ResolvedImage>;
}

// Images for the agent: references, the registry client, the on-disk layer
// store and the ImageStore that ties them together.
export type { ImageConfig, ImageStore, PullPolicy, ResolvedImage } from './image-store.js';
export { ImagePullError, isImagePullError, type ImagePullErrorReason } from './errors.js';
export {
  parseImageReference,
  canonicalReference,
  manifestReference,
  type ImageReference,
} from './image-reference.js';
export { RegistryClient, type RegistryClientOptions, type ResolvedManifest } from './registry-client.js';
export { registryBaseUrl } from './registry-transport.js';
export { registryGet, type RegistryFetch } from './registry-http.js';
export type { RegistryCredentials } from './registry-auth.js';
export { LayerStore, type LayerDescriptor, type BlobFetcher } from './layer-store.js';
export { overlayOpaqueXattr } from './unpack-layer.js';
export { hostPlatform, type Platform } from './oci.js';
export { RegistryImageStore, type RegistryImageStoreOptions } from './registry-image-store.js';
export {
  ImageGarbageCollector,
  statfsProbe,
  type DiskProbe,
  type DiskUsage,
  type ImageGcOptions,
  type ImageInventory,
  type StoredImage,
} from './image-gc.js';
export { pullCredentialsOf, dockerConfigCredentials, type SecretGetter } from './pull-secrets.js';

// A container's image as kubelet gets it: per its pull policy (Kubernetes'
// default by tag when unset), with the pod's pull secrets, told as kubelet
// tells it (Pulling, Pulled, or already present; Failed with the pull's own
// error), and a failure carried as the waiting reason kubelet shows.
import { defaultImagePullPolicy, messageOf, type Container, type Pod } from '@skiff/api/core';
import { containerEvents } from './events/container-events.js';
import type { PodEvent, PodEventSink } from './events/pod-events.js';
import { isImagePullError } from './images/errors.js';
import type { ImageStore, PullResult } from './images/image-store.js';
import type { CredentialsLookup } from './images/registry-auth.js';

export async function ensureContainerImage(
  images: ImageStore,
  pod: Pod,
  container: Container,
  events: PodEventSink,
  pullCredentials?: (pod: Pod) => Promise<CredentialsLookup | undefined>,
) {
  const policy = container.imagePullPolicy ?? defaultImagePullPolicy(container.image);
  const { name, image } = container;
  let pulled = false;
  const progress = {
    pulling: () => events.record(pod, containerEvents.pulling(name, image)),
    pulled: (result: PullResult) => {
      pulled = true;
      events.record(pod, containerEvents.pulled(name, image, result));
    },
  };
  try {
    const credentials = await pullCredentials?.(pod);
    const resolved = await images.ensure(image, policy, { ...(credentials ? { credentials } : {}), progress });
    if (!pulled) events.record(pod, containerEvents.present(name, image));
    return resolved;
  } catch (error) {
    events.record(pod, imageFailureEvent(name, image, error));
    throw new ImageError(error, image);
  }
}

/** An image that could not be had, with kubelet's waiting reason for it. */
export class ImageError extends Error {
  readonly reason: 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

  constructor(cause: unknown, image: string) {
    const never = isImagePullError(cause, 'not-present');
    super(never ? `container image "${image}" is not present with pull policy of Never` : messageOf(cause), { cause });
    this.reason = never ? 'ErrImageNeverPull' : isImagePullError(cause, 'invalid-reference') ? 'InvalidImageName' : 'ErrImagePull';
  }
}

/** kubelet's first word on an image it could not have: the pull's own error, Never's refusal, or a name it cannot parse. */
function imageFailureEvent(container: string, image: string, error: unknown): PodEvent {
  if (isImagePullError(error, 'not-present')) return containerEvents.neverPull(container, image);
  if (isImagePullError(error, 'invalid-reference')) return containerEvents.invalidName(container, image, error.problem);
  return containerEvents.pullFailed(container, image, isImagePullError(error) ? error.problem : messageOf(error));
}

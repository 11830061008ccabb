// Facts about objects that every process reads the same way.
import type { Pod } from './types.js';

/**
 * A pod that finished (Succeeded or Failed) holds no resources and runs
 * nothing; schedulers, node judges and agents all skip it.
 */
export function isTerminalPod(pod: { readonly status?: { readonly phase?: string | undefined } | undefined } | Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Kubernetes timestamps: RFC 3339 in UTC, whole seconds. */
export function toTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Kubernetes' default imagePullPolicy: Always for ":latest" or no tag (unless
 * a digest pins the image), IfNotPresent otherwise.
 */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
  if (tag === 'latest') return 'Always';
  return tag === undefined && at < 0 ? 'Always' : 'IfNotPresent';
}

/** The annotation kubectl reads for the container that exec, logs and attach use when none is named. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/**
 * The container a command means when none is named, as kubectl picks it: the
 * annotated default (if the pod has it), else the only one, else the first
 * one, with a `note` to tell the user (kubectl prints it on stderr).
 */
export function defaultContainerOf(pod: Pod): { readonly name: string; readonly note?: string } {
  const names = pod.spec.containers.map((c) => c.name);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && names.includes(annotated)) return { name: annotated };
  const [first = ''] = names;
  if (names.length <= 1) return { name: first };
  return { name: first, note: `Defaulted container "${first}" out of: ${names.join(', ')}` };
}

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

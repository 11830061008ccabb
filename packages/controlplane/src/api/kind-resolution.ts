// Turns what a client sent (a kind spelling, a namespace, a name) into a
// KindInfo and the namespace it really means.
import { InvalidError, KINDS, resolveKind, type KindInfo } from '@skiff/api';

export const DEFAULT_NAMESPACE = 'default';

/** One object, as a request names it. */
export interface ObjectRefInput {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export function requireKind(spelling: string): KindInfo {
  const info = resolveKind(spelling);
  if (!info) {
    const known = KINDS.map((k) => k.plural).join(', ');
    throw new InvalidError(`the server doesn't have a resource type "${spelling}"; known types: ${known}`);
  }
  return info;
}

export function requireName(name: string): void {
  if (!name) throw new InvalidError('name: is required');
}

/** Cluster-scoped kinds have no namespace; namespaced ones default to "default". */
export function effectiveNamespace(info: KindInfo, namespace: string | undefined): string | undefined {
  if (!info.namespaced) return undefined;
  return namespace === undefined || namespace === '' ? DEFAULT_NAMESPACE : namespace;
}

// The pod fields the downward API exposes, as Kubernetes names them: which
// fieldPaths an env var may read and which a downwardAPI volume file may, and
// the `metadata.labels['key']` subscript form. Validation and the agent both
// read them from here.

/** fieldPaths an env var's fieldRef may name (besides the labels/annotations subscripts). */
export const ENV_FIELD_PATHS: readonly string[] = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** fieldPaths a downwardAPI volume file may name (the whole label and annotation maps too, as key="value" lines). */
export const VOLUME_FIELD_PATHS: readonly string[] = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'];

/** `metadata.labels['app']` → { map: 'labels', key: 'app' }; anything else undefined. */
export function fieldPathSubscript(path: string): { readonly map: 'labels' | 'annotations'; readonly key: string } | undefined {
  const match = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(path);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { map: match[1] as 'labels' | 'annotations', key: match[2] };
}

/** cpu divisors Kubernetes accepts, and memory's. */
export const CPU_DIVISORS: readonly string[] = ['1m', '1'];
export const MEMORY_DIVISORS: readonly string[] = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

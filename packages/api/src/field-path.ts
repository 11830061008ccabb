// Field paths as Kubernetes prints them: `spec.containers[0].image`,
// `metadata.labels["app.kubernetes.io/name"]`. One renderer, so every message
// Skiff prints names a field the same way.

export type PathSegment = string | number;

export interface FieldIssue {
  /** "" for the whole document. */
  readonly path: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Numbers are list indices; strings are mapping keys, quoted when they are not identifiers. */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function formatIssue(issue: FieldIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/**
 * Splits a JSON pointer (ajv's instancePath) into segments, telling list
 * indices from mapping keys that merely look numeric (a ConfigMap key "0") by
 * looking at the document itself.
 */
export function pointerSegments(pointer: string, document: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) {
      const index = Number(key);
      segments.push(index);
      node = node[index];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

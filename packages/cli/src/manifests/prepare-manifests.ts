// Validates every document locally, with the same schemas the server uses,
// before anything is sent: one bad document means nothing is written.
import { formatIssue, resolveKind, validateManifest, type KindInfo, type ResourceObject } from '@skiff/api';
import { CliError } from '../errors.js';
import type { ManifestDocument } from './load-manifests.js';

export interface PreparedManifest {
  readonly where: string;
  readonly info: KindInfo;
  /** As the user wrote it, plus the namespace from -n (or the context's): the server does its own defaulting. */
  readonly manifest: ResourceObject;
}

export function prepareManifests(
  documents: readonly ManifestDocument[],
  options: { namespace?: string; defaultNamespace?: string; strict: boolean },
): PreparedManifest[] {
  const prepared: PreparedManifest[] = [];
  const problems: string[] = [];
  for (const document of documents) {
    const result = validateManifest(document.object, { strict: options.strict });
    const label = `${document.where}${describe(document.object)}`;
    for (const issue of result.errors) problems.push(`${label}: ${formatIssue(issue)}`);
    if (result.errors.length > 0 || !result.kind) continue;
    const manifest = structuredClone(document.object) as ResourceObject;
    const namespaceProblem = applyNamespace(manifest, result.kind, options);
    if (namespaceProblem) problems.push(`${label}: ${namespaceProblem}`);
    else prepared.push({ where: document.where, info: result.kind, manifest });
  }
  if (problems.length > 0) throw new CliError(`error: nothing was applied; fix these first:\n  ${problems.join('\n  ')}`);
  return prepared;
}

/** -n must agree with a namespace the object names; the context's namespace only fills one in. */
function applyNamespace(manifest: ResourceObject, info: KindInfo, options: { namespace?: string; defaultNamespace?: string }): string | undefined {
  const own = manifest.metadata.namespace;
  const namespace = options.namespace ?? (own === undefined ? options.defaultNamespace : undefined);
  if (!info.namespaced || namespace === undefined) return undefined;
  if (own !== undefined && own !== namespace) {
    return `metadata.namespace: the namespace from the provided object "${own}" does not match the namespace "${namespace}" given with -n; remove one of them`;
  }
  manifest.metadata.namespace = namespace;
  return undefined;
}

function describe(object: unknown): string {
  const record = object as { kind?: unknown; metadata?: { name?: unknown } } | null;
  if (typeof record !== 'object' || record === null || typeof record.kind !== 'string') return '';
  const info = resolveKind(record.kind);
  const name = typeof record.metadata?.name === 'string' ? ` "${record.metadata.name}"` : '';
  return ` (${info?.kind ?? record.kind}${name})`;
}

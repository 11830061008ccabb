// Kubernetes' DeleteOptions, from the body (kubectl, client-go) or the query
// (curl): gracePeriodSeconds, propagationPolicy or the older orphanDependents,
// and preconditions; what they mean is ApiService.delete's.
import { InvalidError, isRecord } from '@skiff/api';
import type { DeleteOptions } from '../api/api-deletes.js';
import { parsePropagationPolicy, type PropagationPolicy } from '../objects/object-deletion.js';

export interface ParsedDeleteOptions {
  readonly options: DeleteOptions;
  readonly preconditions: { readonly uid?: string; readonly resourceVersion?: string };
}

export function deleteOptionsOf(body: unknown, query: URLSearchParams): ParsedDeleteOptions {
  const given = isRecord(body) ? body : {};
  const queryGrace = query.get('gracePeriodSeconds');
  const grace = given['gracePeriodSeconds'] ?? (queryGrace === null ? undefined : Number(queryGrace));
  if (grace !== undefined && grace !== null && typeof grace !== 'number') throw new InvalidError('gracePeriodSeconds: must be a number of seconds');
  const policy = propagationPolicyOf(given, query);
  const preconditions = isRecord(given['preconditions']) ? given['preconditions'] : {};
  return {
    options: {
      ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
      ...(policy === undefined ? {} : { propagationPolicy: policy }),
    },
    preconditions: {
      ...(typeof preconditions['uid'] === 'string' ? { uid: preconditions['uid'] } : {}),
      ...(typeof preconditions['resourceVersion'] === 'string' ? { resourceVersion: preconditions['resourceVersion'] } : {}),
    },
  };
}

/** propagationPolicy, or the deprecated orphanDependents (true: Orphan, false: Background); both at once is refused, as Kubernetes does. */
function propagationPolicyOf(options: Record<string, unknown>, query: URLSearchParams): PropagationPolicy | undefined {
  const policy = parsePropagationPolicy(options['propagationPolicy'] ?? query.get('propagationPolicy') ?? undefined);
  const queryOrphan = query.get('orphanDependents');
  const orphan = options['orphanDependents'] ?? (queryOrphan === null ? undefined : queryOrphan === 'true' ? true : queryOrphan === 'false' ? false : queryOrphan);
  if (orphan === undefined || orphan === null) return policy;
  if (typeof orphan !== 'boolean') throw new InvalidError(`orphanDependents: must be true or false, not ${JSON.stringify(orphan)}`);
  if (policy !== undefined) throw new InvalidError('DeleteOptions: orphanDependents and propagationPolicy cannot both be set; use propagationPolicy alone');
  return orphan ? 'Orphan' : 'Background';
}

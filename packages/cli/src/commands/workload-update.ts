// Read-modify-write of one object for the rollout and set commands, as
// kubectl patches: read it, change what the command changes, apply it back
// naming the resourceVersion that was read (the server compares and swaps),
// and start again from a fresh read if someone else wrote in between.
import { status } from '@grpc/grpc-js';
import type { KindInfo, ResourceObject } from '@skiff/api';
import type { CliContext } from '../context.js';
import { ServerError } from '../errors.js';

const ATTEMPTS = 5;

/** What `change` answers: the object to write, or a sentence to print instead of writing. */
export type Change<T> = { readonly write: T } | { readonly skip: string };

export async function updateObject<T extends ResourceObject>(
  context: CliContext,
  info: KindInfo,
  namespace: string,
  name: string,
  change: (current: T) => Change<T> | Promise<Change<T>>,
): Promise<{ object: T; skipped?: string }> {
  for (let attempt = 1; ; attempt++) {
    const current = (await context.client().get({ kind: info.plural, namespace, name })) as T;
    const decided = await change(structuredClone(current));
    if ('skip' in decided) return { object: current, skipped: decided.skip };
    const { status: _status, ...rest } = decided.write as ResourceObject & { status?: unknown };
    const { name: objectName, namespace: objectNamespace, labels, annotations, ownerReferences, resourceVersion } = rest.metadata;
    const manifest = {
      ...rest,
      metadata: {
        name: objectName,
        ...(objectNamespace === undefined ? {} : { namespace: objectNamespace }),
        ...(labels ? { labels } : {}),
        ...(annotations ? { annotations } : {}),
        ...(ownerReferences ? { ownerReferences } : {}),
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
    } as ResourceObject;
    try {
      const answer = await context.client().apply(manifest, { strict: false, dryRun: false });
      return { object: answer.object as T };
    } catch (error) {
      if (!(error instanceof ServerError && error.code === status.ABORTED) || attempt >= ATTEMPTS) throw error;
    }
  }
}

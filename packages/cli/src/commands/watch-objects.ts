// The -w half of `ctl get`: print every change after the list, and when the
// server says our resourceVersion is too old, list again and carry on (as a
// Kubernetes reflector does) instead of giving up.
import { status } from '@grpc/grpc-js';
import type { KindInfo, ResourceObject } from '@skiff/api';
import type { ListQuery } from '../client.js';
import type { CliContext } from '../context.js';
import { isServiceError } from '../errors.js';
import { renderObjects, type OutputFormat } from '../output/render-objects.js';

export async function watchObjects(
  context: CliContext,
  info: KindInfo,
  query: ListQuery,
  resourceVersion: string,
  options: { format: OutputFormat; withNamespace: boolean },
): Promise<never> {
  let from = resourceVersion;
  for (;;) {
    try {
      await streamOnce(context, info, query, from, options, (version) => (from = version));
    } catch (error) {
      if (!(isServiceError(error) && error.code === status.OUT_OF_RANGE)) throw context.client().explain(error);
      from = (await context.client().list(query)).resourceVersion;
    }
  }
}

function streamOnce(
  context: CliContext,
  info: KindInfo,
  query: ListQuery,
  from: string,
  options: { format: OutputFormat; withNamespace: boolean },
  advance: (version: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = context.client().watch(query, from);
    stream.on('data', (event: { type: string; object_json: string; resource_version: string }) => {
      const object = JSON.parse(event.object_json) as ResourceObject;
      advance(event.resource_version);
      const rendered = renderObjects(info, [object], { ...options, single: true, headers: false, now: context.now() });
      context.stdout.write(options.format === 'yaml' ? `---\n${rendered}` : rendered);
    });
    stream.on('error', reject);
    stream.on('end', resolve);
  });
}

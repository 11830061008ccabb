// ctl describe KIND NAME: identity and metadata first, then the desired and
// observed state, then the events that mention the object.
import type { Event, KindInfo, ResourceObject } from '@skiff/api';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatAge } from '../output/age.js';
import { renderTable } from '../output/table.js';
import { parseObjectArgs } from './object-args.js';

export function registerDescribe(program: Command, context: CliContext): void {
  program
    .command('describe')
    .description('show an object in detail, with its events')
    .argument('<kind-or-kind/name...>', 'KIND NAME... or KIND/NAME...')
    .option('-n, --namespace <namespace>', 'namespace of the object', 'default')
    .action(async (args: string[], options: { namespace: string }) => {
      const blocks: string[] = [];
      for (const { info, names } of parseObjectArgs(args)) {
        const objects =
          names.length > 0
            ? await Promise.all(names.map((name) => context.client().get({ kind: info.plural, namespace: options.namespace, name })))
            : (await context.client().list({ kind: info.plural, namespace: options.namespace, allNamespaces: false, labelSelector: '' })).items;
        if (objects.length === 0) throw new CliError(`No resources found in ${options.namespace} namespace.`);
        for (const object of objects) blocks.push(await describeObject(context, info, object));
      }
      context.stdout.write(blocks.join('\n\n'));
    });
}

async function describeObject(context: CliContext, info: KindInfo, object: ResourceObject): Promise<string> {
  const { metadata } = object;
  const now = context.now();
  const lines = [
    field('Name', metadata.name),
    ...(info.namespaced ? [field('Namespace', metadata.namespace ?? 'default')] : []),
    field('Kind', object.kind),
    field('API Version', object.apiVersion),
    field('Labels', pairs(metadata.labels)),
    field('Annotations', pairs(metadata.annotations)),
    field('Created', metadata.creationTimestamp ? `${metadata.creationTimestamp} (${formatAge(metadata.creationTimestamp, now)} ago)` : '<unknown>'),
    field('UID', metadata.uid ?? '<none>'),
    field('Resource Version', metadata.resourceVersion ?? '<none>'),
    field('Generation', String(metadata.generation ?? '<none>')),
  ];
  if (metadata.ownerReferences?.length) {
    lines.push(field('Controlled By', metadata.ownerReferences.map((o) => `${o.kind}/${o.name}`).join(', ')));
  }
  const body = { ...object } as Record<string, unknown>;
  for (const section of ['apiVersion', 'kind', 'metadata']) delete body[section];
  for (const [section, value] of Object.entries(body)) {
    lines.push(`${capitalize(section)}:`, indent(stringify(value).trimEnd()));
  }
  lines.push(await eventsSection(context, info, object, now));
  return `${lines.join('\n')}\n`;
}

async function eventsSection(context: CliContext, info: KindInfo, object: ResourceObject, now: Date): Promise<string> {
  const namespace = object.metadata.namespace ?? 'default';
  const { items } = await context.client().list({ kind: 'events', namespace, allNamespaces: !info.namespaced, labelSelector: '' });
  const events = (items as Event[]).filter(
    (event) => event.involvedObject.kind === info.kind && event.involvedObject.name === object.metadata.name,
  );
  if (events.length === 0) return 'Events:            <none>';
  const rows = events.map((event) => [
    event.type,
    event.reason,
    formatAge(event.lastTimestamp ?? event.metadata.creationTimestamp, now),
    event.source?.component ?? '',
    event.message,
  ]);
  return `Events:\n${indent(renderTable(['Type', 'Reason', 'Age', 'From', 'Message'], rows).trimEnd())}`;
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(18)} ${value}`;
}

function pairs(record: Record<string, string> | undefined): string {
  const entries = Object.entries(record ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n'.padEnd(20));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

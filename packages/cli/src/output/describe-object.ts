// The text of `ctl describe`: identity and metadata first, then the desired and
// observed state, then the events that mention the object.
import type { Event, KindInfo, ResourceObject } from '@skiff/api';
import { stringify } from 'yaml';
import { formatAge } from '@skiff/api';
import { byLastSeen, firstSeen, lastSeen } from '@skiff/api';
import { renderTable } from './table.js';

/** `extra`: kind-specific lines (a Deployment's replica summary…), printed before the events. */
export function describeObject(info: KindInfo, object: ResourceObject, events: readonly Event[], now: Date, extra: readonly string[] = []): string {
  const { metadata } = object;
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
  lines.push(...extra, eventsSection(events, now));
  return `${lines.join('\n')}\n`;
}

/** kubectl's events table: oldest last-seen first; a repeated event's Age reads "30s (x4 over 5m)". */
export function eventsSection(events: readonly Event[], now: Date): string {
  if (events.length === 0) return 'Events:            <none>';
  const rows = byLastSeen(events).map((event) => [
    event.type,
    event.reason,
    (event.count ?? 1) > 1
      ? `${formatAge(lastSeen(event), now)} (x${event.count} over ${formatAge(firstSeen(event), now)})`
      : formatAge(firstSeen(event), now),
    event.source?.component ?? '',
    event.message.trim(),
  ]);
  return `Events:\n${indent(renderTable(['Type', 'Reason', 'Age', 'From', 'Message'], rows).trimEnd())}`;
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(18)} ${value}`;
}

export function pairs(record: Record<string, string> | undefined): string {
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

// -o yaml | json | name | wide | (table): one renderer for get and watch.
import { qualifiedName, type Event, type KindInfo, type ResourceObject } from '@skiff/api';
import { stringify } from 'yaml';
import { CliError } from '../errors.js';
import { columnsFor } from '@skiff/api';
import { byLastSeen } from '@skiff/api';
import { renderTable } from './table.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

export function parseOutputFormat(text: string | undefined): OutputFormat {
  if (text === undefined || text === '') return 'table';
  if (text === 'wide' || text === 'yaml' || text === 'json' || text === 'name') return text;
  throw new CliError(`error: unable to match a printer suitable for the output format "${text}"; allowed formats are: json, name, wide, yaml`);
}

export function renderObjects(
  info: KindInfo,
  objects: readonly ResourceObject[],
  options: { format: OutputFormat; withNamespace: boolean; withKind?: boolean; single: boolean; headers?: boolean; now?: Date },
): string {
  const { format } = options;
  if (format === 'yaml' || format === 'json') {
    const value = options.single && objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
    return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
  }
  if (format === 'name') return objects.map((o) => `${qualifiedName(info, o.metadata.name)}\n`).join('');
  const now = options.now ?? new Date();
  const columns = columnsFor(info.kind, format === 'wide', options.withNamespace, options.withKind ?? false);
  // Like kubectl, tables show events oldest first.
  const rows = info.kind === 'Event' ? byLastSeen(objects as readonly Event[]) : objects;
  const table = renderTable(
    columns.map((c) => c.header),
    rows.map((o) => columns.map((c) => c.value(o, now))),
  );
  return options.headers === false ? table.slice(table.indexOf('\n') + 1) : table;
}

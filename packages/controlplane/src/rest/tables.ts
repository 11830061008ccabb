// Table responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`):
// the server prints the columns, kubectl lays them out, as `kubectl get` does
// against Kubernetes. Priority-1 columns are the ones `-o wide` adds.
import { columnsFor, type Column, type KindInfo, type ResourceObject } from '@skiff/api';



/** A list's metadata (ListMeta): its revision and, for a page that is not the last, where the next one starts. */
export interface ListMeta {
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** The columns of a kind. */
export type ColumnsOf = (info: KindInfo) => readonly Column[];

/** True when the Accept header asks for a meta.k8s.io Table first (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0] ?? '';
  const params = new Map(
    first
      .split(';')
      .slice(1)
      .map((part) => part.trim().split('=') as [string, string | undefined]),
  );
  return params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io';
}

/** `includeObject`: what each row carries besides its cells (kubectl asks for Object with -o wide … and Metadata by default). */
type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

export function toTable(
  columns: readonly Column[],
  objects: readonly ResourceObject[],
  options: { readonly resourceVersion?: string; readonly listMeta?: ListMeta; readonly include: IncludeObject; readonly now: Date },
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? (options.resourceVersion === undefined ? {} : { resourceVersion: options.resourceVersion }),
    columnDefinitions: columns.map((column) => ({
      name: titleOf(column.header),
      type: 'string',
      format: column.header === 'NAME' ? 'name' : '',
      description: '',
      priority: column.wide ? 1 : 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.value(object, options.now)),
      ...(options.include === 'None' ? {} : { object: options.include === 'Object' ? object : partialMetadata(object) }),
    })),
  };
}

/** kubectl upper-cases the names itself: "NOMINATED NODE" → "Nominated Node". */
function titleOf(header: string): string {
  return header
    .toLowerCase()
    .split(' ')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function partialMetadata(object: ResourceObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}


/** ctl's columns for each kind (@skiff/api columnsFor), the -o wide ones at priority 1. */
export const kindColumns: ColumnsOf = (info) => columnsFor(info.kind, true, false);

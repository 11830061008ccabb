import { describe, expect, it } from 'vitest';
import { kindInfo, type ResourceObject } from '@skiff/api';
import { includeObjectOf, kindColumns, toTable, wantsTable } from './tables.js';

const NOW = new Date('2026-01-01T00:10:00Z');
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Active' } } as unknown as ResourceObject;

describe('Table responses', () => {
  it('are wanted when the first Accept type asks for a meta.k8s.io Table', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });

  it('carry ctl\'s columns, wide ones at priority 1, and the metadata of each row by default', () => {
    const table = toTable(kindColumns(kindInfo('Namespace')), [namespace], { include: includeObjectOf(new URLSearchParams()), now: NOW, resourceVersion: '7' }) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: string[]; object: { kind: string; metadata: { name: string } } }[];
      metadata: { resourceVersion: string };
    };
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Status', 'Age']);
    expect(table.rows).toEqual([{ cells: ['shop', 'Active', '10m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: namespace.metadata } }]);
    expect(table.metadata.resourceVersion).toBe('7');
    const pods = toTable(kindColumns(kindInfo('Pod')), [], { include: 'None', now: NOW }) as { columnDefinitions: { name: string; priority: number }[] };
    expect(pods.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name)).toContain('Ip');
  });

  it('carry a page\'s list metadata: where the next page starts (kubectl get --chunk-size follows it)', () => {
    const listMeta = { resourceVersion: '7', continue: 'token', remainingItemCount: 3 };
    const table = toTable(kindColumns(kindInfo('Namespace')), [namespace], { include: 'None', now: NOW, listMeta }) as { metadata: unknown };
    expect(table.metadata).toEqual(listMeta);
  });
});

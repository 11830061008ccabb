import { kindInfo, type ConfigMap } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors.js';
import { parseOutputFormat, renderObjects, type OutputFormat } from './render-objects.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const CONFIGMAP = kindInfo('ConfigMap');

const config = (name: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', creationTimestamp: '2024-05-01T11:59:55.000Z' },
  data: { mode: 'fast' },
});

const render = (format: OutputFormat, objects: ConfigMap[], single = false, headers?: boolean): string =>
  renderObjects(CONFIGMAP, objects, { format, withNamespace: false, single, now: NOW, ...(headers === undefined ? {} : { headers }) });

describe('parseOutputFormat', () => {
  it('reads no -o as the table and knows wide, yaml, json and name', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('')).toBe('table');
    for (const format of ['wide', 'yaml', 'json', 'name'] as const) expect(parseOutputFormat(format)).toBe(format);
  });

  it('rejects any other format with kubectl words', () => {
    expect(() => parseOutputFormat('xml')).toThrow(CliError);
    expect(() => parseOutputFormat('xml')).toThrow(
      'error: unable to match a printer suitable for the output format "xml"; allowed formats are: json, name, wide, yaml',
    );
  });
});

describe('renderObjects', () => {
  it('-o yaml prints one named object as itself', () => {
    expect(render('yaml', [config('a')], true)).toBe(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: a',
        '  namespace: default',
        '  creationTimestamp: 2024-05-01T11:59:55.000Z',
        'data:',
        '  mode: fast',
        '',
      ].join('\n'),
    );
  });

  it('-o yaml prints a listing as a List, even of one', () => {
    expect(render('yaml', [config('a')])).toBe(
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata:',
        '      name: a',
        '      namespace: default',
        '      creationTimestamp: 2024-05-01T11:59:55.000Z',
        '    data:',
        '      mode: fast',
        '',
      ].join('\n'),
    );
  });

  it('-o json indents two spaces and ends with a newline', () => {
    const one = render('json', [config('a')], true);
    expect(one).toBe(`${JSON.stringify(config('a'), null, 2)}\n`);
    expect(JSON.parse(render('json', [config('a'), config('b')]))).toEqual({ apiVersion: 'v1', kind: 'List', items: [config('a'), config('b')] });
  });

  it('-o json of nothing is an empty List', () => {
    expect(render('json', [])).toBe('{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": []\n}\n');
  });

  it('-o name prints kind[.group]/name, one a line', () => {
    expect(render('name', [config('a'), config('b')])).toBe('configmap/a\nconfigmap/b\n');
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    expect(renderObjects(kindInfo('Deployment'), [deployment], { format: 'name', withNamespace: false, single: true })).toBe('deployment.apps/web\n');
  });

  it('prints rows without the header when asked (watch lines)', () => {
    expect(render('table', [config('a')])).toBe('NAME   DATA   AGE\na      1      5s\n');
    expect(render('table', [config('a')], true, false)).toBe('a      1      5s\n');
  });
});

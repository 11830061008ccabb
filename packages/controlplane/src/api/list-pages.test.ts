// LIST in pages (list-pages.ts) through ApiService over the in-memory store
// and the watch cache, as the control plane stacks them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidError, type ConfigMap, type ResourceObject } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore, WatchCache } from '../store/index.js';
import { ApiService, type ListInput } from './api-service.js';
import { ContinueExpiredError, decodeContinue } from './continue-token.js';
import type { ListPage } from './list-pages.js';

let memory: MemoryStore;
let store: WatchCache;
let api: ApiService;

const configMap = (name: string, labels: Record<string, string> = {}, value = '1'): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', labels }, data: { value } });
const names = (page: ListPage): string[] => page.items.map((item: ResourceObject) => item.metadata.name);
const dataOf = (item: ResourceObject | undefined): unknown => (item as ConfigMap | undefined)?.data;

beforeEach(async () => {
  memory = new MemoryStore();
  store = new WatchCache(memory);
  api = new ApiService(new ObjectStore(store));
  await api.ensureBuiltinNamespaces();
  await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }));
  for (let i = 1; i <= 7; i++) await api.apply(configMap(`cm-${i}`, { tier: i % 3 === 0 ? 'gold' : 'plain' }));
});

afterEach(async () => {
  await store.close();
});

/** Every page of a list, following continue. */
async function allPages(input: ListInput): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  let token: string | undefined;
  do {
    const page = await api.list({ ...input, ...(token ? { continue: token } : {}) });
    pages.push(page);
    token = page.continue;
  } while (token && pages.length < 20);
  return pages;
}

describe('LIST with limit and continue', () => {
  it('pages through every object once, at the first page\'s revision, with the remaining count', async () => {
    const first = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 3 });
    expect(names(first)).toEqual(['cm-1', 'cm-2', 'cm-3']);
    expect(first.remainingItemCount).toBe(4);
    expect(decodeContinue(first.continue!)).toEqual({ revision: first.revision, start: 'cm-3\0' });
    // Changed between pages: the later pages still show the list as it was.
    await api.apply(configMap('cm-5', {}, 'changed'));
    await api.apply(configMap('cm-45'));
    await api.delete({ kind: 'ConfigMap', namespace: 'shop', name: 'cm-6' });
    const second = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 3, continue: first.continue! });
    expect(names(second)).toEqual(['cm-4', 'cm-5', 'cm-6']);
    expect(dataOf(second.items[1])).toEqual({ value: '1' });
    expect(second).toMatchObject({ revision: first.revision, remainingItemCount: 1 });
    const third = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 3, continue: second.continue! });
    expect(names(third)).toEqual(['cm-7']);
    expect(third.continue).toBeUndefined();
    expect(third.remainingItemCount).toBeUndefined();
    // A new list sees the present.
    expect(names(await api.list({ kind: 'ConfigMap', namespace: 'shop' }))).toEqual(['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-45', 'cm-5', 'cm-7']);
  });

  it('filters page by page: full pages until the last, no count, and continue without a limit reads the rest', async () => {
    const pages = await allPages({ kind: 'ConfigMap', namespace: 'shop', labelSelector: 'tier=plain', limit: 2 });
    expect(pages.map(names)).toEqual([['cm-1', 'cm-2'], ['cm-4', 'cm-5'], ['cm-7']]);
    expect(pages.every((page) => page.remainingItemCount === undefined)).toBe(true);
    // A filter that drops most objects reads on until the page is full; as in
    // Kubernetes, the last page may then come out empty.
    const gold = await allPages({ kind: 'ConfigMap', namespace: 'shop', matches: (item) => item.metadata.labels?.['tier'] === 'gold', limit: 1 });
    expect(gold.map(names)).toEqual([['cm-3'], ['cm-6'], []]);
    const first = await api.list({ kind: 'ConfigMap', allNamespaces: true, limit: 2 });
    expect(decodeContinue(first.continue!).start).toBe('shop/cm-2\0');
    expect(names(await api.list({ kind: 'ConfigMap', allNamespaces: true, continue: first.continue! }))).toEqual(['cm-3', 'cm-4', 'cm-5', 'cm-6', 'cm-7']);
  });

  it('answers a token whose revision was compacted with 410 Expired and a token that reads on at the latest revision', async () => {
    const first = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 4 });
    await api.apply(configMap('cm-6', {}, 'changed'));
    await store.compact(await store.currentRevision());
    const expired = await rejectionOf(api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 4, continue: first.continue! }), ContinueExpiredError);
    expect(expired.message).toMatch(/too old.*Start a new list without continue, or pass the continue token of this answer/s);
    const onward = expired.continueToken;
    expect(decodeContinue(onward)).toEqual({ revision: -1, start: 'cm-4\0' });
    const rest = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 4, continue: onward });
    expect(names(rest)).toEqual(['cm-5', 'cm-6', 'cm-7']);
    expect(dataOf(rest.items[1])).toEqual({ value: 'changed' });
  });

  it('reads a first page with resourceVersion N at exactly N, as Kubernetes\' "Exact"', async () => {
    const before = await api.list({ kind: 'ConfigMap', namespace: 'shop' });
    await api.apply(configMap('cm-1', {}, 'changed'));
    const exact = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2, resourceVersion: String(before.revision) });
    expect(exact.revision).toBe(before.revision);
    expect(dataOf(exact.items[0])).toEqual({ value: '1' });
    const latest = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2 });
    expect(latest.revision).toBeGreaterThan(before.revision);
    expect(dataOf(latest.items[0])).toEqual({ value: 'changed' });
  });

  it('refuses a malformed token, a resourceVersion beside a token, and a bad limit', async () => {
    const garbage = await rejectionOf(api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2, continue: 'garbage!' }), InvalidError);
    expect(garbage.message).toMatch(/^continue: the token is not one this server issued/);
    const first = await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2 });
    const both = await rejectionOf(api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2, continue: first.continue!, resourceVersion: '5' }), InvalidError);
    expect(both.message).toMatch(/resourceVersion: must not be given with continue/);
    // resourceVersion "0" beside a token is ignored, as in Kubernetes.
    expect(names(await api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 2, continue: first.continue!, resourceVersion: '0' }))).toEqual(['cm-3', 'cm-4']);
    const limit = await rejectionOf(api.list({ kind: 'ConfigMap', namespace: 'shop', limit: 1.5 }), InvalidError);
    expect(limit.message).toMatch(/^limit: must be a positive whole number/);
  });
});

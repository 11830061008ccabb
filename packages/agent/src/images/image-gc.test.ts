// The collector against an in-memory image store whose disk usage is the sum
// of what it holds, so the injected probe says exactly what removal achieved.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImageGarbageCollector, checkGcThresholds, type ImageInventory, type StoredImage } from './image-gc.js';

const digest = (name: string): string => `sha256:${createHash('sha256').update(name).digest('hex')}`;

/** A 100-unit disk: each layer takes its size, everything else nothing. */
class FakeStore implements ImageInventory {
  readonly images = new Map<string, StoredImage>();
  readonly layers = new Map<string, number>();
  readonly blobs = new Set<string>();
  busy = false;
  base = 0;

  add(name: string, lastUsed: number, layers: Record<string, number>, references = [`registry.test/${name}:1`]): string {
    const id = digest(name);
    for (const [layer, size] of Object.entries(layers)) this.layers.set(digest(layer), size);
    this.blobs.add(id);
    this.images.set(id, { digest: id, references, blobs: [id], layers: Object.keys(layers).map(digest), lastUsed });
    return id;
  }

  used(): number {
    return this.base + [...this.layers.values()].reduce((sum, size) => sum + size, 0);
  }

  probe = (): Promise<{ totalBytes: number; availableBytes: number }> => Promise.resolve({ totalBytes: 100, availableBytes: 100 - this.used() });
  storedImages = (): Promise<StoredImage[]> => Promise.resolve([...this.images.values()]);
  storedLayers = (): Promise<string[]> => Promise.resolve([...this.layers.keys()]);
  pulling = (): boolean => this.busy;
  removeImage = (id: string): Promise<void> => Promise.resolve(void this.images.delete(id));
  removeBlob = (id: string): Promise<void> => Promise.resolve(void this.blobs.delete(id));
  removeLayer = (id: string): Promise<void> => Promise.resolve(void this.layers.delete(id));
}

function collector(store: FakeStore, inUse: string[] = []): ImageGarbageCollector {
  return new ImageGarbageCollector({ inventory: store, probe: store.probe, inUse: () => inUse });
}

describe('ImageGarbageCollector', () => {
  it('does nothing below the high threshold', async () => {
    const store = new FakeStore();
    store.add('old', 1, { a: 84 });
    const result = await collector(store).collect();
    expect(result.removedImages).toEqual([]);
    expect(store.layers.size).toBe(1);
  });

  it('removes unused images least recently used first and stops under the low threshold', async () => {
    const store = new FakeStore();
    const newest = store.add('newest', 300, { n: 30 });
    store.add('oldest', 100, { o: 30 });
    store.add('middle', 200, { m: 30 });
    const oldest = digest('oldest');
    const middle = digest('middle');
    // 90 % used: removing the oldest gives 60 %, under 80 %: the others stay.
    const result = await collector(store).collect();
    expect(result.removedImages).toEqual([oldest]);
    expect(result.usedPercent).toBe(60);
    expect([...store.images.keys()].sort()).toEqual([middle, newest].sort());
    expect(store.blobs.has(oldest)).toBe(false);

    // Push usage over the threshold again: now the middle one goes, not the newest.
    store.base = 30;
    const second = await collector(store).collect();
    expect(second.removedImages).toEqual([middle]);
    expect([...store.images.keys()]).toEqual([newest]);
  });

  it('never removes an image a pod names, whatever its age, and says so when that is not enough', async () => {
    const store = new FakeStore();
    store.add('busybox', 1, { b: 60 }, ['docker.io/library/busybox:latest']);
    store.add('pinned', 2, { p: 30 }, []);
    const unused = store.add('unused', 3, { u: 5 });
    // "busybox" canonicalises to docker.io/library/busybox:latest; the digest pins the second.
    const result = await collector(store, ['busybox', `other.test/x@${digest('pinned')}`]).collect();
    expect(result.removedImages).toEqual([unused]);
    expect(store.images.has(digest('busybox'))).toBe(true);
    expect(store.images.has(digest('pinned'))).toBe(true);
    expect(result.usedPercent).toBe(90);
  });

  it('keeps layers a remaining image shares', async () => {
    const store = new FakeStore();
    store.add('app-v1', 1, { base: 50, v1: 20 });
    store.add('app-v2', 2, { base: 50, v2: 20 });
    // 90 % used; removing v1 frees only its own layer (base is shared): 70 %.
    const result = await collector(store).collect();
    expect(result.removedImages).toEqual([digest('app-v1')]);
    expect(result.removedLayers).toEqual([digest('v1')]);
    expect(store.layers.has(digest('base'))).toBe(true);
    expect(result.usedPercent).toBe(70);
  });

  it('removes layers no image needs after the unused images, and nothing while a pull is under way', async () => {
    const store = new FakeStore();
    store.add('used', 1, { keep: 40 }, ['registry.test/used:1']);
    store.layers.set(digest('orphan'), 50);
    store.busy = true;
    expect((await collector(store, ['registry.test/used:1']).collect()).removedLayers).toEqual([]);
    store.busy = false;
    const result = await collector(store, ['registry.test/used:1']).collect();
    expect(result.removedLayers).toEqual([digest('orphan')]);
    expect(store.layers.has(digest('keep'))).toBe(true);
  });

  it('rejects thresholds that make no sense', () => {
    expect(() => checkGcThresholds(80, 85)).toThrow(/must not exceed/);
    expect(() => checkGcThresholds(101, 80)).toThrow(/between 0 and 100/);
    expect(() => checkGcThresholds(85, 80)).not.toThrow();
  });
});

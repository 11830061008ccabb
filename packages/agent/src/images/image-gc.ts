// Image garbage collection, as kubelet does it: when the image disk passes
// the high threshold, unused images go, least recently used first, each with
// the blobs and layers no remaining image needs, until usage is below the low
// threshold. An image is in use while any pod the agent has names it.
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { canonicalReference, parseImageReference } from './image-reference.js';

/** One image as the store holds it. */
export interface StoredImage {
  /** Digest of what its references resolve to (an index or a manifest). */
  readonly digest: string;
  /** Canonical references recorded for it ("registry/repo:tag"). */
  readonly references: readonly string[];
  /** Document blobs it needs (index, manifest, config). */
  readonly blobs: readonly string[];
  /** Layer digests it needs (blob and unpacked directory). */
  readonly layers: readonly string[];
  /** Milliseconds since the epoch of its last use (0 if never recorded). */
  readonly lastUsed: number;
}

/** What the collector needs from an image store. */
export interface ImageInventory {
  storedImages(): Promise<StoredImage[]>;
  /** Layer digests present on disk, whether an image needs them or not. */
  storedLayers(): Promise<string[]>;
  /** True while a pull is under way: its layers belong to no recorded image yet. */
  pulling(): boolean;
  /** Forgets the image's references and last use (its content stays). */
  removeImage(digest: string): Promise<void>;
  removeBlob(digest: string): Promise<void>;
  removeLayer(digest: string): Promise<void>;
}

export interface DiskUsage {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

export type DiskProbe = () => Promise<DiskUsage>;

/** The filesystem holding `path`, as statfs(2) sees it (available to unprivileged users, like df). */
export function statfsProbe(path: string): DiskProbe {
  return async () => {
    const stats = await statfs(path);
    return { totalBytes: stats.blocks * stats.bsize, availableBytes: stats.bavail * stats.bsize };
  };
}

export function usedPercent(usage: DiskUsage): number {
  if (usage.totalBytes <= 0) return 0;
  return ((usage.totalBytes - usage.availableBytes) / usage.totalBytes) * 100;
}

export interface ImageGcOptions {
  readonly inventory: ImageInventory;
  readonly probe: DiskProbe;
  /** Image references of every pod the agent has, running or not. */
  readonly inUse: () => Iterable<string>;
  /** Percent of the disk used above which collection starts (default 85). */
  readonly highThresholdPercent?: number;
  /** Percent collection brings usage under (default 80). */
  readonly lowThresholdPercent?: number;
  readonly log?: Logger;
}

export interface GcResult {
  readonly removedImages: string[];
  readonly removedLayers: string[];
  /** Usage when done, in percent. */
  readonly usedPercent: number;
}

export const DEFAULT_IMAGE_GC_HIGH_PERCENT = 85;
export const DEFAULT_IMAGE_GC_LOW_PERCENT = 80;
export const DEFAULT_IMAGE_GC_INTERVAL_MS = 60_000;

/** Checks threshold values as flags give them; throws a sentence for the operator. */
export function checkGcThresholds(high: number, low: number): void {
  for (const [name, value] of [['high', high], ['low', low]] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 100) {
      throw new Error(`the image GC ${name} threshold must be a percentage between 0 and 100, not ${value}`);
    }
  }
  if (low > high) throw new Error(`the image GC low threshold (${low}) must not exceed the high threshold (${high})`);
}

export class ImageGarbageCollector {
  private readonly high: number;
  private readonly low: number;
  private running: Promise<GcResult> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ImageGcOptions) {
    this.high = options.highThresholdPercent ?? DEFAULT_IMAGE_GC_HIGH_PERCENT;
    this.low = options.lowThresholdPercent ?? DEFAULT_IMAGE_GC_LOW_PERCENT;
    checkGcThresholds(this.high, this.low);
  }

  /** Checks every `intervalMs` (default a minute) until stop(). */
  start(intervalMs = DEFAULT_IMAGE_GC_INTERVAL_MS): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** collect() in the background, a failure logged (the next check tries again). */
  check(): void {
    this.collect().catch((error: unknown) => this.options.log?.warn({ err: error }, 'image garbage collection failed'));
  }

  /** One collection if the disk is above the high threshold; concurrent calls share it. */
  collect(): Promise<GcResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<GcResult> {
    const { inventory, probe } = this.options;
    const removedImages: string[] = [];
    const removedLayers: string[] = [];
    let used = usedPercent(await probe());
    if (used < this.high || inventory.pulling()) return { removedImages, removedLayers, usedPercent: used };
    const images = await inventory.storedImages();
    const inUse = inUseMatcher(this.options.inUse());
    const remaining = new Map(images.map((image) => [image.digest, image]));
    const victims = images.filter((image) => !inUse(image)).sort((a, b) => a.lastUsed - b.lastUsed || a.digest.localeCompare(b.digest));
    this.options.log?.info({ usedPercent: Math.round(used), high: this.high, low: this.low, candidates: victims.length }, 'image disk above the GC threshold');
    for (const victim of victims) {
      if (used < this.low) break;
      remaining.delete(victim.digest);
      await inventory.removeImage(victim.digest);
      const needed = neededBy(remaining.values());
      for (const blob of victim.blobs) if (!needed.blobs.has(blob)) await inventory.removeBlob(blob);
      for (const layer of victim.layers) {
        if (needed.layers.has(layer)) continue;
        await inventory.removeLayer(layer);
        removedLayers.push(layer);
      }
      removedImages.push(victim.digest);
      this.options.log?.info({ image: victim.digest, references: victim.references }, 'image garbage-collected');
      used = usedPercent(await probe());
    }
    if (used >= this.low && !inventory.pulling()) {
      // Layers no image needs (a pull that failed half-way, an image removed by hand).
      const needed = neededBy(remaining.values()).layers;
      for (const layer of await inventory.storedLayers()) {
        if (used < this.low) break;
        if (needed.has(layer)) continue;
        await inventory.removeLayer(layer);
        removedLayers.push(layer);
        used = usedPercent(await probe());
      }
    }
    if (used >= this.low) {
      this.options.log?.warn({ usedPercent: Math.round(used), low: this.low }, 'image GC could not bring the image disk under the low threshold: the rest is in use');
    }
    return { removedImages, removedLayers, usedPercent: used };
  }
}

function neededBy(images: Iterable<StoredImage>): { blobs: Set<string>; layers: Set<string> } {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const image of images) {
    for (const blob of image.blobs) blobs.add(blob);
    for (const layer of image.layers) layers.add(layer);
  }
  return { blobs, layers };
}

/** Whether a stored image is named by one of `references` (by canonical reference or pinned digest). */
function inUseMatcher(references: Iterable<string>): (image: StoredImage) => boolean {
  const names = new Set<string>();
  const digests = new Set<string>();
  for (const text of references) {
    try {
      const ref = parseImageReference(text);
      names.add(canonicalReference(ref));
      if (ref.digest) digests.add(ref.digest);
    } catch {
      // A reference that does not parse names no stored image.
    }
  }
  return (image) => digests.has(image.digest) || image.references.some((name) => names.has(name));
}

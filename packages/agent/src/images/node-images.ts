// A node's image store under <state dir>/images and the garbage collector that
// keeps its disk below the thresholds, wired to each other (a pull may push
// the disk over the high threshold: the collector checks after each).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ImageGarbageCollector, statfsProbe } from './image-gc.js';
import { RegistryImageStore } from './registry-image-store.js';

export interface NodeImagesOptions {
  readonly stateDir: string;
  readonly insecureRegistries: readonly string[];
  readonly thresholds?: { readonly highThresholdPercent?: number; readonly lowThresholdPercent?: number };
  /** Images named by any pod the agent has, running or not (or still tearing down). */
  readonly inUse: () => Iterable<string>;
  readonly log: Logger;
}

export async function createNodeImages(options: NodeImagesOptions): Promise<{ images: RegistryImageStore; gc: ImageGarbageCollector }> {
  const root = join(options.stateDir, 'images');
  await mkdir(root, { recursive: true });
  let gc: ImageGarbageCollector | undefined;
  const images = new RegistryImageStore({ root, insecureRegistries: [...options.insecureRegistries], onPulled: () => gc?.check() });
  const thresholds = options.thresholds ?? {};
  gc = new ImageGarbageCollector({
    inventory: images,
    probe: statfsProbe(root),
    inUse: options.inUse,
    ...(thresholds.highThresholdPercent !== undefined ? { highThresholdPercent: thresholds.highThresholdPercent } : {}),
    ...(thresholds.lowThresholdPercent !== undefined ? { lowThresholdPercent: thresholds.lowThresholdPercent } : {}),
    log: options.log,
  });
  return { images, gc };
}

// Writing a controller's computed status, as every controller here does it:
// only when it differs from what is stored, with compare-and-swap, re-reading
// on conflict and giving up quietly when the object is gone, was re-created,
// or moved on so that the computed status no longer applies (the informer
// event for that change queues a sync that computes it again).
import { isDeepStrictEqual } from 'node:util';
import { ConflictError, NotFoundError, type KindInfo, type ResourceObject } from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import type { ObjectStore } from '../objects/object-store.js';

type WithStatus = ResourceObject & { status?: object };

/** Whether a fresh read still takes the status computed from `cached` (same uid is checked already). */
export type StillCurrent<T> = (fresh: T, cached: Immutable<T>) => boolean;

/** The spec did not move on: a status computed against it still holds. */
export const sameGeneration = <T extends WithStatus>(fresh: T, cached: Immutable<T>): boolean =>
  fresh.metadata.generation === cached.metadata.generation;

/** Nor did anyone else write the status meanwhile: for statuses decided from the previous one (Jobs, CronJobs). */
export const sameGenerationAndStatus = <T extends WithStatus>(fresh: T, cached: Immutable<T>): boolean =>
  sameGeneration(fresh, cached) && isDeepStrictEqual(fresh.status ?? {}, cached.status ?? {});

export interface WriteStatusOptions<T> {
  readonly objects: ObjectStore;
  readonly kind: KindInfo;
  /** Writes before giving up on conflicts (and throwing, so the sync is retried with back-off). */
  readonly attempts?: number;
  readonly stillCurrent?: StillCurrent<T>;
}

/**
 * Writes `status(base)` onto the object unless it equals the stored status;
 * true when it wrote. `status` gets the object it will be written on (a fresh
 * read after a conflict), so a status merged with the stored one stays merged.
 */
export async function writeStatus<T extends WithStatus>(cached: Immutable<T>, status: (base: T) => NonNullable<T['status']>, options: WriteStatusOptions<T>): Promise<boolean> {
  const { objects, kind } = options;
  const attempts = options.attempts ?? 5;
  const stillCurrent = options.stillCurrent ?? sameGeneration;
  let base = thaw<T>(cached);
  for (let attempt = 1; ; attempt++) {
    const next = status(base);
    if (isDeepStrictEqual(next, base.status ?? {})) return false;
    try {
      await objects.update(kind, { ...base, status: next }, Number(base.metadata.resourceVersion));
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
    }
    const fresh = await objects.get<T>(kind, cached.metadata.namespace, cached.metadata.name);
    if (!fresh || fresh.metadata.uid !== cached.metadata.uid || !stillCurrent(fresh, cached)) return false;
    base = fresh;
  }
}

// The pod handlers of a controller that owns pods by controller reference
// (DaemonSets, Jobs): each pod event moves the owner's expectations (created,
// or as good as deleted once terminating) and enqueues the owner. Nothing else
// happens in a handler; sync(key) decides.
import type { Pod } from '@skiff/api';
import type { Immutable, InformerHandlers } from '../cache/informer.js';
import type { Expectations } from './expectations.js';

export interface OwnedPodHandlersOptions {
  readonly expectations: Expectations;
  /** The owner's queue key and uid, when the pod has a controller reference of this controller's kind. */
  readonly ownerKey: (pod: Immutable<Pod>) => { key: string; uid: string } | undefined;
  readonly enqueue: (key: string) => void;
  /** Every add and update, owned or not (e.g. to note when a pod became Ready). */
  readonly seen?: (pod: Immutable<Pod>) => void;
  /** Every delete, owned or not (to forget per-pod notes). */
  readonly gone?: (pod: Immutable<Pod>) => void;
}

export function ownedPodHandlers(options: OwnedPodHandlersOptions): InformerHandlers<Pod> {
  const { expectations, ownerKey, enqueue } = options;
  return {
    onAdd: (pod) => {
      options.seen?.(pod);
      const owner = ownerKey(pod);
      if (!owner) return;
      expectations.creationObserved(owner.key, owner.uid, pod.metadata.name);
      if (pod.metadata.deletionTimestamp !== undefined) expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
      enqueue(owner.key);
    },
    onUpdate: (previous, current) => {
      options.seen?.(current);
      const owner = ownerKey(current) ?? ownerKey(previous);
      if (!owner) return;
      // Terminating pods no longer count: as good as deleted for expectations.
      if (current.metadata.deletionTimestamp !== undefined && previous.metadata.deletionTimestamp === undefined) {
        expectations.deletionObserved(owner.key, owner.uid, current.metadata.name);
      }
      enqueue(owner.key);
    },
    onDelete: (pod) => {
      options.gone?.(pod);
      const owner = ownerKey(pod);
      if (!owner) return;
      expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
      enqueue(owner.key);
    },
  };
}

// Deployments stored by a Skiff from before ReplicaSets own their pods
// directly (controller reference to the Deployment, pod-template-hash from
// an older hash). On its first sync of such a Deployment the controller
// hands the pods over without disrupting them:
//  - a pod running the Deployment's current template (its label is the old
//    hash of the current template) is released — the Deployment's
//    controller reference removed — and relabelled with the new hash; the
//    Deployment then creates its ReplicaSet for that hash, which adopts the
//    orphans (its selector matches them) instead of starting new pods;
//  - a pod of an older template, or one that finished, is deleted, as the
//    old controller would have done at once (it replaced outdated pods all
//    at once): it is replaced by the new ReplicaSet.
import { createHash } from 'node:crypto';
import { kindInfo, NotFoundError, POD_TEMPLATE_HASH_LABEL, type Deployment, type Pod, type PodTemplateSpec } from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import type { ControllerLogger } from '../cache/logger.js';
import type { ObjectStore } from '../objects/object-store.js';
import { canonicalJson, SAFE_ALPHABET } from './pod-template-hash.js';
import { isPodActive } from './replica-set-pods.js';

const POD = kindInfo('Pod');
const LEGACY_HASH_LENGTH = 10;

/** The pod-template-hash older Skiff versions computed: 10 characters from a SHA-256 of the canonical JSON. */
export function legacyTemplateHash(template: Immutable<PodTemplateSpec>): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let hash = '';
  for (let i = 0; i < LEGACY_HASH_LENGTH; i++) hash += SAFE_ALPHABET[(digest[i] ?? 0) % SAFE_ALPHABET.length];
  return hash;
}

export type LegacyPodAction = { readonly pod: Immutable<Pod>; readonly action: 'release' | 'delete' };

/** Pure: what to do with each pod the Deployment owns directly. */
export function planLegacyPods(deployment: Immutable<Deployment>, pods: readonly Immutable<Pod>[]): LegacyPodAction[] {
  const current = legacyTemplateHash(deployment.spec.template);
  return pods.map((pod) => ({
    pod,
    action: isPodActive(pod) && pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === current ? 'release' : 'delete',
  }));
}

/** Carries the plan out with compare-and-swap writes; a conflict is thrown (the sync is retried from fresher caches). */
export async function migrateLegacyPods(
  objects: ObjectStore,
  deployment: Immutable<Deployment>,
  pods: readonly Immutable<Pod>[],
  newHash: string,
  log: ControllerLogger,
): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all(
    planLegacyPods(deployment, pods).map(async ({ pod, action }) => {
      const revision = Number(pod.metadata.resourceVersion);
      try {
        if (action === 'delete') {
          await objects.delete(POD, pod.metadata.namespace, pod.metadata.name, revision);
        } else {
          const copy = thaw<Pod>(pod);
          const ownerReferences = (copy.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== deployment.metadata.uid);
          const metadata = { ...copy.metadata, labels: { ...copy.metadata.labels, [POD_TEMPLATE_HASH_LABEL]: newHash } };
          if (ownerReferences.length > 0) metadata.ownerReferences = ownerReferences;
          else delete metadata.ownerReferences;
          await objects.update(POD, { ...copy, metadata }, revision);
        }
        log.info({ controller: 'deployment', deployment: deployment.metadata.name, pod: pod.metadata.name, action }, 'migrated a pod owned directly by its deployment');
      } catch (error) {
        if (error instanceof NotFoundError) return;
        errors.push(error);
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

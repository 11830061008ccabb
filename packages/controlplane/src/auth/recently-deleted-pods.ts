// Pods deleted a short while ago, and the node each was bound to. Skiff
// deletes a pod at once (there is no graceful deletion yet), so by the time
// a node's agent stops the containers it writes "Killing" about a pod the API
// no longer has; the node authorizer lets it, for that pod's uid only, while
// the pod is remembered here. Bounded in time and in size: a flood of
// deletions forgets the oldest first.
import type { Pod } from '@skiff/api';

export interface DeletedPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
}

export interface RecentlyDeletedPodsOptions {
  /** How long a deleted pod is remembered (default 10 minutes: long past any grace period). */
  readonly ttlMs?: number;
  /** The most pods remembered (default 10,000). */
  readonly max?: number;
  readonly now?: () => number;
}

export class RecentlyDeletedPods {
  /** By uid, oldest first (Map keeps insertion order). */
  private readonly pods = new Map<string, DeletedPod & { readonly at: number }>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: RecentlyDeletedPodsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.max = options.max ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  remember(pod: Pod): void {
    const { uid, name, namespace } = pod.metadata;
    const nodeName = pod.spec.nodeName;
    if (!uid || !nodeName) return;
    const now = this.now();
    this.pods.delete(uid);
    this.pods.set(uid, { namespace: namespace ?? 'default', name, nodeName, at: now });
    for (const [key, entry] of this.pods) {
      if (this.pods.size <= this.max && now - entry.at < this.ttlMs) break;
      this.pods.delete(key);
    }
  }

  find(uid: string): DeletedPod | undefined {
    const entry = this.pods.get(uid);
    if (!entry || this.now() - entry.at >= this.ttlMs) return undefined;
    return { namespace: entry.namespace, name: entry.name, nodeName: entry.nodeName };
  }
}

// How the control plane comes to its store: etcd behind the watch cache and
// group commit, and the wait for an etcd that starts after us.
import { setTimeout as delay } from 'node:timers/promises';
import { BACKOFF, Backoff } from '@skiff/api';
import type { Logger } from 'pino';
import { KEYSPACE } from './objects/object-keys.js';
import { DEFAULT_WATCH_CACHE_SIZE, GroupCommit, WatchCache, type EtcdStore, type Store } from './store/index.js';

/**
 * The store every part of this control plane uses: etcd, read through the
 * watch cache (lists and watches of the control plane's keyspace from memory, one etcd watch in all), with
 * concurrent single writes group-committed into shared transactions.
 */
export function cachedStore(etcd: EtcdStore, config: { readonly watchCacheSize?: number; readonly groupCommit?: boolean }, log: Logger): Store {
  const size = config.watchCacheSize ?? DEFAULT_WATCH_CACHE_SIZE;
  const reads =
    size === 0
      ? etcd
      : new WatchCache(etcd, { windowSize: size, keyspace: KEYSPACE, onRelist: (reason) => log.warn({ reason }, 'watch cache relisting') });
  return config.groupCommit === false ? reads : new GroupCommit(reads);
}

/** etcd may start after us (or be restarting): retry with capped back-off, saying so. */
export async function waitForStore(log: Logger, step: () => Promise<void>): Promise<void> {
  const backoff = new Backoff(BACKOFF.storeStartup);
  for (;;) {
    try {
      await step();
      return;
    } catch (error) {
      if (backoff.attempts >= 59) throw error;
      const waitMs = backoff.next();
      const attempt = backoff.attempts;
      log.warn({ err: error, attempt, waitMs }, 'store not ready; retrying');
      await delay(waitMs);
    }
  }
}

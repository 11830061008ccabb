// A scope over the process's one informer factory for loops that come and go
// while the informers stay: the leader's controllers, scheduler and node judge
// are built afresh for each term (leader-loops.ts) but read the same caches as
// the API side, so a control plane holds one copy of its pods and nodes, not
// one per role. The scope remembers the handlers its loops register and
// removes them when the term ends, so a stopped term's loops are never called
// again and nothing of theirs is kept alive by the shared informers.
import type { KindName, ResourceObject } from '@skiff/api';
import type { Immutable } from './immutable.js';
import type { IndexFunction, Informer, InformerHandlers, ListWatchInformer } from './informer.js';

/** Where loops get their informers: the factory itself, or a scope over it. */
export interface InformerSource {
  informerFor<T extends ResourceObject>(kind: KindName): Informer<T>;
}

/** What a scope needs of the factory: informers it may also unregister handlers from. */
export interface SharedInformers {
  informerFor<T extends ResourceObject>(kind: KindName): ListWatchInformer<T>;
}

export class InformerScope implements InformerSource {
  private readonly registered: { informer: ListWatchInformer<ResourceObject>; handlers: InformerHandlers<ResourceObject> }[] = [];
  private readonly views = new Map<KindName, Informer<ResourceObject>>();
  private closed = false;

  constructor(private readonly shared: SharedInformers) {}

  informerFor<T extends ResourceObject>(kind: KindName): Informer<T> {
    let view = this.views.get(kind);
    if (!view) {
      view = this.viewOf(this.shared.informerFor<ResourceObject>(kind));
      this.views.set(kind, view);
    }
    return view as unknown as Informer<T>;
  }

  /** Unregisters every handler added through this scope; later registrations are refused. */
  close(): void {
    this.closed = true;
    for (const { informer, handlers } of this.registered.splice(0)) informer.removeHandlers(handlers);
  }

  private viewOf(informer: ListWatchInformer<ResourceObject>): Informer<ResourceObject> {
    return {
      addHandlers: (handlers: InformerHandlers<ResourceObject>) => {
        if (this.closed) throw new Error('informer scope is closed: its loops have stopped');
        this.registered.push({ informer, handlers });
        informer.addHandlers(handlers);
      },
      addIndex: (name: string, compute: IndexFunction<ResourceObject>) => informer.addIndex(name, compute),
      hasIndex: (name: string) => informer.hasIndex(name),
      hasSynced: () => informer.hasSynced(),
      waitForSync: () => informer.waitForSync(),
      get revision() {
        return informer.revision;
      },
      get: (key: string) => informer.get(key),
      list: () => informer.list(),
      listBy: (predicate: (object: Immutable<ResourceObject>) => boolean) => informer.listBy(predicate),
      byIndex: (name: string, value: string) => informer.byIndex(name, value),
    };
  }
}

// The controllers as the control plane runs them (startControllers), over a
// store a test brings, for the controllers' tests: objects are written
// through the API service (the built-in namespaces exist), and the shared
// informers have synced by the time it answers. Beside the code like the
// agent's test-*.ts files, and imported only by *.test.ts; at the composition
// root because it composes api/ with controllers/.
import { ApiService } from './api/api-service.js';
import { ServiceAllocator } from './api/service-allocations.js';
import { InformerFactory } from './cache/index.js';
import { startControllers, type RunningControllers } from './controllers/index.js';
import { ObjectStore } from './objects/object-store.js';
import type { Store } from './store/index.js';

export interface TestControllersOptions {
  /** An API service that can write Services (a ServiceAllocator over the store); without it, Services are refused. */
  readonly services?: boolean;
}

export interface TestControllers {
  readonly objects: ObjectStore;
  readonly api: ApiService;
  readonly informers: InformerFactory;
  readonly controllers: RunningControllers;
  /** Stops the controllers, then the informers, then closes the store. */
  stop(): Promise<void>;
}

/** Starts the controllers over `store`, which it then owns: stop() closes it, and so does a failed start. */
export async function startTestControllers(store: Store, options: TestControllersOptions = {}): Promise<TestControllers> {
  let informers: InformerFactory | undefined;
  let controllers: RunningControllers | undefined;
  const stop = async (): Promise<void> => {
    await controllers?.stop();
    await informers?.stop();
    await store.close();
  };
  try {
    const objects = new ObjectStore(store);
    const api = new ApiService(objects, undefined, options.services ? new ServiceAllocator(store, objects) : undefined);
    await api.ensureBuiltinNamespaces();
    informers = new InformerFactory({ objects });
    controllers = startControllers({ objects, informers });
    informers.start();
    await informers.waitForSync();
    return { objects, api, informers, controllers, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

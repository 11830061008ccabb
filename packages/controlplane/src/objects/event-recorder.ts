// Kubernetes-style Events about objects ("FailedScheduling: 0/3 nodes are
// available…"). Repeats of the same reason on the same object update one
// Event (count, last time, latest message) instead of piling up new ones.
import { createHash } from 'node:crypto';
import { eventNamespaceOf, eventObject, involvedObjectOf, kindInfo, truncateEventMessage, type Event, type ResourceObject } from '@skiff/api';
import type { ObjectStore } from './object-store.js';
import { retryOnConflict } from './retry-on-conflict.js';

const EVENT = kindInfo('Event');

export interface EventToRecord {
  readonly involved: ResourceObject;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly component: string;
}

export class EventRecorder {
  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(event: EventToRecord): Promise<void> {
    const { involved } = event;
    const reference = involvedObjectOf(involved);
    const namespace = eventNamespaceOf(reference);
    const suffix = createHash('sha256').update(`${involved.metadata.uid}/${event.reason}`).digest('hex').slice(0, 10);
    const name = `${involved.metadata.name}.${suffix}`;
    await retryOnConflict(async () => {
      const now = this.clock().toISOString();
      const existing = await this.objects.get<Event>(EVENT, namespace, name);
      if (existing) {
        const next: Event = { ...existing, message: truncateEventMessage(event.message), count: (existing.count ?? 1) + 1, lastTimestamp: now };
        await this.objects.update(EVENT, next, Number(existing.metadata.resourceVersion));
        return;
      }
      const created = eventObject(
        { name, namespace, uid: crypto.randomUUID(), creationTimestamp: now, generation: 1 },
        {
          involved: { ...reference, namespace },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: event.component },
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
        },
      );
      // If another writer creates it first, AlreadyExists makes retryOnConflict go round as an update.
      await this.objects.create(EVENT, created);
    });
  }
}

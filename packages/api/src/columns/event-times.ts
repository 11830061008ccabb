// When an Event was first and last seen, and kubectl's order for showing
// events: by last sighting, oldest first (its SortableEvents).
import type { Event } from '../core.js';

export function firstSeen(event: Event): string | undefined {
  return event.firstTimestamp ?? event.metadata.creationTimestamp;
}

export function lastSeen(event: Event): string | undefined {
  return event.lastTimestamp ?? firstSeen(event);
}

export function byLastSeen(events: readonly Event[]): Event[] {
  return [...events].sort((a, b) => Date.parse(lastSeen(a) ?? '') - Date.parse(lastSeen(b) ?? ''));
}

import type { Event } from '../core.js';
import { describe, expect, it } from 'vitest';
import { byLastSeen, firstSeen, lastSeen } from './event-times.js';

const event = (name: string, times: Partial<Pick<Event, 'firstTimestamp' | 'lastTimestamp'>>, created?: string): Event => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, ...(created ? { creationTimestamp: created } : {}) },
  involvedObject: { kind: 'Pod', name: 'web' },
  reason: 'Started',
  message: '',
  type: 'Normal',
  ...times,
});

describe('event times', () => {
  it('falls back from lastTimestamp to firstTimestamp to the creation time', () => {
    const full = event('a', { firstTimestamp: '2024-05-01T10:00:00Z', lastTimestamp: '2024-05-01T11:00:00Z' }, '2024-05-01T09:00:00Z');
    expect([firstSeen(full), lastSeen(full)]).toEqual(['2024-05-01T10:00:00Z', '2024-05-01T11:00:00Z']);
    const firstOnly = event('b', { firstTimestamp: '2024-05-01T10:00:00Z' });
    expect(lastSeen(firstOnly)).toBe('2024-05-01T10:00:00Z');
    const bare = event('c', {}, '2024-05-01T09:00:00Z');
    expect([firstSeen(bare), lastSeen(bare)]).toEqual(['2024-05-01T09:00:00Z', '2024-05-01T09:00:00Z']);
  });

  it('orders by last sighting, oldest first, keeping ties in their order', () => {
    const events = [
      event('late', { lastTimestamp: '2024-05-01T12:00:00Z' }),
      event('early', { lastTimestamp: '2024-05-01T08:00:00Z' }),
      event('tie', { lastTimestamp: '2024-05-01T12:00:00Z' }),
      event('middle', {}, '2024-05-01T10:00:00Z'),
    ];
    expect(byLastSeen(events).map((e) => e.metadata.name)).toEqual(['early', 'middle', 'late', 'tie']);
    expect(events[0]?.metadata.name).toBe('late');
  });
});

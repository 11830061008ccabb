import type { Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { EventCorrelator } from './event-correlator.js';

const pod = (name: string, uid = `uid-${name}`): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', uid },
  spec: { containers: [{ name: 'app', image: 'busybox' }] } as Pod['spec'],
});
const pulling = { type: 'Normal', reason: 'Pulling', message: 'Pulling image "busybox"', fieldPath: 'spec.containers{app}' } as const;
const T0 = Date.parse('2026-05-06T07:00:00.000Z');

function correlator(options: { burst?: number; refillMs?: number; maxEntries?: number } = {}) {
  let now = T0;
  const c = new EventCorrelator({ source: { component: 'skiff-agent', host: 'node-a' }, now: () => now, ...options });
  return { c, advance: (ms: number) => (now += ms) };
}

describe('EventCorrelator', () => {
  it("writes a first event as kubelet would: about the pod's container, from the agent on its node", () => {
    const { c } = correlator();
    expect(c.correlate(pod('web'), pulling)).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `web.${(BigInt(T0) * 1_000_000n).toString(16)}`, namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: 'uid-web', fieldPath: 'spec.containers{app}' },
      type: 'Normal',
      reason: 'Pulling',
      message: 'Pulling image "busybox"',
      count: 1,
      firstTimestamp: '2026-05-06T07:00:00.000Z',
      lastTimestamp: '2026-05-06T07:00:00.000Z',
      source: { component: 'skiff-agent', host: 'node-a' },
    });
  });

  it('folds a repeat into the same Event: count + 1, same name and first time, new last time', () => {
    const { c, advance } = correlator();
    const first = c.correlate(pod('web'), pulling);
    advance(30_000);
    const second = c.correlate(pod('web'), pulling);
    expect(second?.metadata.name).toBe(first?.metadata.name);
    expect(second).toMatchObject({ count: 2, firstTimestamp: '2026-05-06T07:00:00.000Z', lastTimestamp: '2026-05-06T07:00:30.000Z' });
  });

  it.each([
    ['another message', { ...pulling, message: 'Pulling image "other"' }],
    ['another reason', { ...pulling, reason: 'Pulled' }],
    ['another container', { ...pulling, fieldPath: 'spec.containers{sidecar}' }],
    ['another type', { ...pulling, type: 'Warning' as const }],
  ])('keeps %s a separate Event', (_label, other) => {
    const { c } = correlator();
    const first = c.correlate(pod('web'), pulling);
    const second = c.correlate(pod('web'), other);
    expect(second?.metadata.name).not.toBe(first?.metadata.name);
    expect(second?.count).toBe(1);
  });

  it('keeps a new pod of the same name (another uid) apart', () => {
    const { c } = correlator();
    c.correlate(pod('web', 'old'), pulling);
    expect(c.correlate(pod('web', 'new'), pulling)?.count).toBe(1);
  });

  it('rate-limits per pod: a burst, then one write per refill, with held-back repeats still counted', () => {
    const { c, advance } = correlator({ burst: 3, refillMs: 60_000 });
    const written = [1, 2, 3, 4, 5].map(() => c.correlate(pod('web'), pulling));
    expect(written.map((e) => e?.count)).toEqual([1, 2, 3, undefined, undefined]);
    // Another pod has its own bucket.
    expect(c.correlate(pod('api'), pulling)?.count).toBe(1);
    advance(59_999);
    expect(c.correlate(pod('web'), pulling)).toBeUndefined();
    advance(1);
    // The 7th occurrence: the write carries every one held back.
    expect(c.correlate(pod('web'), pulling)?.count).toBe(7);
    expect(c.correlate(pod('web'), pulling)).toBeUndefined();
    // The bucket refills to its burst, no further.
    advance(10 * 60_000);
    expect([1, 2, 3, 4].map(() => c.correlate(pod('web'), pulling)?.count)).toEqual([9, 10, 11, undefined]);
  });

  it('forgets the least recently seen events past its bound (a repeat then starts a new Event)', () => {
    const { c } = correlator({ maxEntries: 2 });
    const first = c.correlate(pod('a'), pulling);
    c.correlate(pod('b'), pulling);
    c.correlate(pod('c'), pulling);
    const again = c.correlate(pod('a'), pulling);
    expect(again?.count).toBe(1);
    expect(again?.metadata.name).not.toBe(first?.metadata.name);
  });

  it('names events uniquely within a millisecond, and within 253 characters for the longest pod names', () => {
    const { c } = correlator();
    const a = c.correlate(pod('web'), pulling);
    const b = c.correlate(pod('web'), { ...pulling, message: 'other' });
    expect(a?.metadata.name).not.toBe(b?.metadata.name);
    const long = c.correlate(pod('p'.repeat(253)), pulling);
    expect(long?.metadata.name.length).toBeLessThanOrEqual(253);
  });

  it('cuts a very long message', () => {
    const { c } = correlator();
    expect(c.correlate(pod('web'), { ...pulling, message: 'x'.repeat(5000) })?.message.length).toBe(1024);
  });
});

import { status } from '@grpc/grpc-js';
import type { Event, Pod } from '@skiff/api';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiEventSink } from './api-event-sink.js';

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', uid: `uid-${name}` },
  spec: { containers: [{ name: 'app', image: 'busybox' }] } as Pod['spec'],
});
const event = (reason: string, message = `${reason} happened`) => ({ type: 'Normal' as const, reason, message, fieldPath: 'spec.containers{app}' });
const grpcError = (code: status): Error => Object.assign(new Error(status[code]), { code });

/** A write the test completes by hand, so it sees what waits while a write is under way. */
function manualWrites() {
  const calls: { event: Event; resolve: () => void; reject: (error: Error) => void }[] = [];
  const write = (e: Event) => new Promise<void>((resolve, reject) => calls.push({ event: e, resolve, reject }));
  return { calls, write };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ApiEventSink', () => {
  it('returns at once and writes in the background, in order', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }) });
    sink.record(pod('web'), event('Pulling'));
    sink.record(pod('web'), event('Pulled'));
    expect(calls.map((c) => c.event.reason)).toEqual(['Pulling']);
    calls[0]?.resolve();
    await tick();
    expect(calls.map((c) => c.event.reason)).toEqual(['Pulling', 'Pulled']);
    expect(calls[1]?.event.source).toEqual({ component: 'skiff-agent', host: 'node-a' });
    calls[1]?.resolve();
    await sink.flush();
    expect(sink.stats()).toEqual({ written: 2, limited: 0, dropped: 0 });
  });

  it('coalesces repeats queued behind a slow write into one write of the latest count', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }) });
    sink.record(pod('web'), event('Started'));
    for (let i = 0; i < 4; i++) sink.record(pod('web'), event('BackOff'));
    calls[0]?.resolve();
    await tick();
    expect(calls.map((c) => [c.event.reason, c.event.count])).toEqual([
      ['Started', 1],
      ['BackOff', 4],
    ]);
    calls[1]?.resolve();
    await sink.flush();
  });

  it('drops what does not fit in its bounded queue, never blocking the caller', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }), maxQueued: 2 });
    for (const reason of ['A', 'B', 'C', 'D', 'E']) sink.record(pod(reason.toLowerCase()), event(reason));
    // A is being written; B and C wait; D and E did not fit.
    expect(sink.stats().dropped).toBe(2);
    for (let i = 0; i < 3; i++) {
      calls[i]?.resolve();
      await tick();
    }
    await sink.flush();
    expect(calls.map((c) => c.event.reason)).toEqual(['A', 'B', 'C']);
    expect(sink.stats()).toEqual({ written: 3, limited: 0, dropped: 2 });
  });

  it('drops everything queued when the control plane is away, and writes again once it answers', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }) });
    sink.record(pod('a'), event('A'));
    sink.record(pod('b'), event('B'));
    sink.record(pod('c'), event('C'));
    calls[0]?.reject(grpcError(status.UNAVAILABLE));
    await sink.flush();
    expect(calls).toHaveLength(1);
    expect(sink.stats()).toEqual({ written: 0, limited: 0, dropped: 3 });
    sink.record(pod('d'), event('D'));
    calls[1]?.resolve();
    await sink.flush();
    expect(sink.stats()).toEqual({ written: 1, limited: 0, dropped: 3 });
  });

  it('drops only the event a write refused (PermissionDenied, Invalid) and goes on', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }) });
    sink.record(pod('a'), event('A'));
    sink.record(pod('b'), event('B'));
    calls[0]?.reject(grpcError(status.PERMISSION_DENIED));
    await tick();
    calls[1]?.resolve();
    await sink.flush();
    expect(sink.stats()).toEqual({ written: 1, limited: 0, dropped: 1 });
  });

  it('counts what the per-pod rate limit holds back, and never throws, whatever it is given', async () => {
    const sink = new ApiEventSink({ nodeName: 'node-a', write: async () => undefined, log: pino({ level: 'silent' }), burst: 2 });
    for (let i = 0; i < 5; i++) sink.record(pod('web'), event('BackOff'));
    expect(() => sink.record(undefined as unknown as Pod, event('X'))).not.toThrow();
    const throwing = new ApiEventSink({ nodeName: 'node-a', write: () => { throw new Error('sync throw'); }, log: pino({ level: 'silent' }) });
    expect(() => throwing.record(pod('web'), event('A'))).not.toThrow();
    await sink.flush();
    await throwing.flush();
    expect(sink.stats()).toEqual({ written: 2, limited: 3, dropped: 0 });
    expect(throwing.stats().dropped).toBe(1);
  });

  it('accepts nothing once stopped, and drops what was queued', async () => {
    const { calls, write } = manualWrites();
    const sink = new ApiEventSink({ nodeName: 'node-a', write, log: pino({ level: 'silent' }) });
    sink.record(pod('a'), event('A'));
    sink.record(pod('b'), event('B'));
    sink.stop();
    sink.record(pod('c'), event('C'));
    calls[0]?.resolve();
    await sink.flush();
    expect(calls).toHaveLength(1);
    expect(sink.stats()).toEqual({ written: 1, limited: 0, dropped: 1 });
  });
});

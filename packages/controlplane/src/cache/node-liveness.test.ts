// The liveness table with its clock in the test's hands.
import { describe, expect, it } from 'vitest';
import { NodeLiveness } from './node-liveness.js';

function table(start = 1_000) {
  let now = start;
  const liveness = new NodeLiveness({ heartbeatIntervalMs: 500, leaseDurationMs: 1500, maxHeartbeatsPerSecond: 200 }, () => now);
  return { liveness, step: (ms: number) => (now += ms), at: () => now };
}

describe('NodeLiveness', () => {
  it('notes when each node was heard, by its own clock', () => {
    const { liveness, step, at } = table();
    step(100);
    liveness.heard('a');
    expect(liveness.lastHeard('a')).toBe(at());
    expect(liveness.hasHeard('a')).toBe(true);
    step(700);
    expect(liveness.silentForMs('a')).toBe(700);
    liveness.heard('a');
    expect(liveness.silentForMs('a')).toBe(0);
  });

  it('counts a node it has not heard as heard when the table started: a full grace after a (re)start', () => {
    const { liveness, step } = table(5_000);
    step(1_200);
    expect(liveness.hasHeard('never')).toBe(false);
    expect(liveness.lastHeard('never')).toBe(5_000);
    expect(liveness.silentForMs('never')).toBe(1_200);
  });

  it('reset forgets every node and starts the grace again (a new leader)', () => {
    const { liveness, step, at } = table();
    liveness.heard('a');
    step(10_000);
    liveness.reset();
    expect(liveness.hasHeard('a')).toBe(false);
    expect(liveness.lastHeard('a')).toBe(at());
    expect(liveness.silentForMs('a')).toBe(0);
  });

  it('retainOnly drops nodes that are gone', () => {
    const { liveness } = table();
    liveness.heard('a');
    liveness.heard('b');
    liveness.retainOnly(new Set(['b']));
    expect(liveness.size).toBe(1);
    expect(liveness.hasHeard('a')).toBe(false);
    expect(liveness.hasHeard('b')).toBe(true);
  });

  it('a node is silent only past the lease it was last given; one late heartbeat is not silence', () => {
    const { liveness, step } = table();
    expect(liveness.heard('a')).toEqual({ heartbeatIntervalMs: 500, leaseDurationMs: 1500 });
    step(1000); // a heartbeat 500 ms late
    expect(liveness.isSilent('a')).toBe(false);
    step(500);
    expect(liveness.isSilent('a')).toBe(false);
    step(1);
    expect(liveness.isSilent('a')).toBe(true);
    liveness.heard('a');
    expect(liveness.isSilent('a')).toBe(false);
  });

  it('a node never heard since the start is silent a full lease after the start', () => {
    const { liveness, step } = table();
    step(1500);
    expect(liveness.isSilent('b')).toBe(false);
    step(1);
    expect(liveness.isSilent('b')).toBe(true);
  });

  it('as Nomad does, the interval grows with the fleet so at most maxHeartbeatsPerSecond arrive, and the lease keeps its ratio', () => {
    const { liveness, step } = table();
    for (let i = 0; i < 100; i++) liveness.heard(`n${i}`);
    expect(liveness.terms()).toEqual({ heartbeatIntervalMs: 500, leaseDurationMs: 1500 });
    expect(liveness.heard('n100')).toEqual({ heartbeatIntervalMs: 505, leaseDurationMs: 1515 });
    // A restarted control plane knows the fleet from its Node cache before anyone has spoken.
    liveness.reset();
    liveness.retainOnly(new Set(Array.from({ length: 1000 }, (_, i) => `n${i}`)));
    expect(liveness.terms()).toEqual({ heartbeatIntervalMs: 5000, leaseDurationMs: 15_000 });
    // ... and gives every node the full (longer) lease before it is silent.
    step(15_000);
    expect(liveness.isSilent('n1')).toBe(false);
    step(1);
    expect(liveness.isSilent('n1')).toBe(true);
    // A node keeps the lease it was told even as the fleet shrinks.
    liveness.heard('n1');
    liveness.retainOnly(new Set(['n1']));
    expect(liveness.terms()).toEqual({ heartbeatIntervalMs: 500, leaseDurationMs: 1500 });
    step(10_000);
    expect(liveness.isSilent('n1')).toBe(false);
  });

  it('silent past the window: a lease and one more interval, by the terms the node was last told', () => {
    const { liveness, step } = table();
    liveness.heard('a');
    step(1501);
    expect(liveness.isSilent('a')).toBe(true);
    expect(liveness.isSilentPastWindow('a')).toBe(false);
    step(500);
    expect(liveness.isSilentPastWindow('a')).toBe(true);
    // Never heard since the start: the window counts from the start.
    expect(liveness.isSilentPastWindow('never')).toBe(true);
  });
});

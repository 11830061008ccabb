// The liveness table with its clock in the test's hands.
import { describe, expect, it } from 'vitest';
import { NodeLiveness } from './node-liveness.js';

function table(start = 1_000) {
  let now = start;
  const liveness = new NodeLiveness(() => now);
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
});

import { describe, expect, it } from 'vitest';
import { allocatableOf, parseSystemReserved } from './node-allocatable.js';

describe('parseSystemReserved', () => {
  it("reads kubelet's cpu=…,memory=… (either may be left out)", () => {
    expect(parseSystemReserved('cpu=500m,memory=1Gi')).toEqual({ cpuMillis: 500, memoryBytes: 1024 ** 3 });
    expect(parseSystemReserved('memory=724Mi')).toEqual({ cpuMillis: 0, memoryBytes: 724 * 1024 ** 2 });
    expect(parseSystemReserved('')).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });

  it.each([
    ['disk=1Gi', 'must be cpu=QUANTITY or memory=QUANTITY'],
    ['memory', 'must be cpu=QUANTITY or memory=QUANTITY'],
    ['cpu=lots', 'cpu "lots" is not a quantity'],
  ])('refuses %s', (text, message) => {
    expect(() => parseSystemReserved(text)).toThrow(message);
  });
});

describe('allocatableOf', () => {
  it('is capacity minus what is reserved', () => {
    expect(allocatableOf({ cpu: '2', memory: '1Gi', pods: '110' }, { cpuMillis: 500, memoryBytes: 724 * 1024 ** 2 })).toEqual({ cpu: '1500m', memory: '300Mi', pods: '110' });
  });

  it('refuses a reservation that leaves nothing', () => {
    expect(() => allocatableOf({ cpu: '1', memory: '1Gi', pods: '1' }, { cpuMillis: 0, memoryBytes: 1024 ** 3 })).toThrow('leaves no memory');
  });
});

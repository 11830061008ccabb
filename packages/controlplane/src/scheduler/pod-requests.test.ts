import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from '@skiff/api';
import { podRequests } from './pod-requests.js';

function spec(...containers: Container['resources'][]): PodSpec {
  return {
    containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'i', ...(resources ? { resources } : {}) })),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
  };
}

describe('podRequests', () => {
  it('sums requests across containers and counts one pod', () => {
    expect(podRequests(spec({ requests: { cpu: '250m', memory: '128Mi' } }, { requests: { cpu: '1', memory: '1G' } })))
      .toEqual({ cpuMillis: 1250, memoryBytes: 128 * 2 ** 20 + 1e9, pods: 1 });
  });

  it('counts a limit as the request when the request is absent, per resource', () => {
    expect(podRequests(spec({ limits: { cpu: '500m', memory: '256Mi' } }))).toEqual({
      cpuMillis: 500,
      memoryBytes: 256 * 2 ** 20,
      pods: 1,
    });
    expect(podRequests(spec({ requests: { cpu: '100m' }, limits: { cpu: '2', memory: '1Gi' } }))).toEqual({
      cpuMillis: 100,
      memoryBytes: 2 ** 30,
      pods: 1,
    });
  });

  it('takes, per resource, the larger of the biggest init container and the app containers together', () => {
    const withInits: PodSpec = {
      ...spec({ requests: { cpu: '250m', memory: '64Mi' } }, { requests: { cpu: '250m', memory: '64Mi' } }),
      initContainers: [
        { name: 'migrate', image: 'i', resources: { requests: { cpu: '2', memory: '32Mi' } } },
        { name: 'warm', image: 'i', resources: { limits: { cpu: '100m', memory: '512Mi' } } },
      ],
    };
    expect(podRequests(withInits)).toEqual({ cpuMillis: 2000, memoryBytes: 512 * 2 ** 20, pods: 1 });
  });

  it('counts a container without resources as zero', () => {
    expect(podRequests(spec(undefined, {}))).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 1 });
  });

  it('rounds fractional quantities up', () => {
    expect(podRequests(spec({ requests: { cpu: '0.0001', memory: '0.5' } }))).toEqual({
      cpuMillis: 1,
      memoryBytes: 1,
      pods: 1,
    });
  });

  it('throws on a malformed quantity rather than guessing', () => {
    expect(() => podRequests(spec({ requests: { cpu: 'one' } }))).toThrow(RangeError);
  });
});

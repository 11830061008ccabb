import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@skiff/api';
import { PlacementMemo } from './placement-memo.js';
import { podToPlace, type PodToPlace } from './pod-to-place.js';
import { schedulePod } from './schedule.js';
import { SchedulerCache } from './scheduler-cache.js';

/** A small seeded generator (mulberry32), so a failing history can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function node(name: string, options: { cpu: string; memory: string; pods: string; zone: string; ready: boolean; tainted: boolean }): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { zone: options.zone } },
    spec: options.tainted ? { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } : {},
    status: {
      allocatable: { cpu: options.cpu, memory: options.memory, pods: options.pods },
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False' }],
    },
  };
}

function pod(name: string, shape: Shape, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: shape.cpu, memory: shape.memory } } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      ...(shape.zone ? { nodeSelector: { zone: shape.zone } } : {}),
      ...(shape.tolerant ? { tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] } : {}),
      ...(nodeName ? { nodeName } : {}),
    },
  };
}

interface Shape {
  cpu: string;
  memory: string;
  zone?: string;
  tolerant?: boolean;
}

const SHAPES: Shape[] = [
  { cpu: '100m', memory: '128Mi' },
  { cpu: '250m', memory: '256Mi' },
  { cpu: '500m', memory: '1Gi', zone: 'a' },
  { cpu: '1', memory: '512Mi', tolerant: true },
  { cpu: '0', memory: '0' },
];

describe('PlacementMemo', () => {
  it('decides exactly as a scan of every node would, over random histories of placements, deletions and node changes', () => {
    let decisions = 0;
    let scans = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const cache = new SchedulerCache();
      const memo = new PlacementMemo(cache, 'binpack');
      const nodeNames = Array.from({ length: 12 }, (_, i) => `n${String(i).padStart(2, '0')}`);
      const addNode = (name: string): void =>
        cache.setNode(
          node(name, {
            cpu: pick(['1', '2', '4']),
            memory: pick(['1Gi', '2Gi', '4Gi']),
            pods: pick(['3', '8', '110']),
            zone: pick(['a', 'b']),
            ready: next() > 0.1,
            tainted: next() < 0.2,
          }),
        );
      for (const name of nodeNames) addNode(name);
      const placed: { key: string; pod: Pod }[] = [];
      for (let step = 0; step < 300; step++) {
        const roll = next();
        if (roll < 0.75) {
          // A decision, assumed as the scheduler does; now and then the bind fails or is confirmed.
          const shape = pick(SHAPES);
          const toPlace: PodToPlace = podToPlace(pod(`p${seed}-${step}`, shape));
          const expected = schedulePod(toPlace, cache.nodesView(), 'binpack');
          expect(memo.schedule(toPlace), `seed ${seed}, step ${step}`).toEqual(expected);
          decisions++;
          if (expected.node === undefined) continue;
          cache.assume(toPlace.key, expected.node, toPlace.requests);
          const bound = pod(`p${seed}-${step}`, shape, expected.node);
          const fate = next();
          if (fate < 0.1) cache.forget(toPlace.key);
          else if (fate < 0.6) {
            cache.addPod(bound);
            placed.push({ key: toPlace.key, pod: bound });
          } else placed.push({ key: toPlace.key, pod: bound });
        } else if (roll < 0.88 && placed.length > 0) {
          const index = Math.floor(next() * placed.length);
          cache.removePod(placed[index]!.key);
          placed.splice(index, 1);
        } else if (roll < 0.94) {
          addNode(pick(nodeNames));
        } else if (roll < 0.97) {
          cache.removeNode(pick(nodeNames));
        } else {
          // A pod bound by someone else (a nodeName in the manifest).
          cache.addPod(pod(`other-${seed}-${step}`, pick(SHAPES), pick(nodeNames)));
        }
      }
      scans += memo.fullScans;
    }
    expect(decisions).toBeGreaterThan(8000);
    // It did spare some (small nodes, many deletions: most decisions here must scan); a memo
    // that always scanned would pass the comparison above too.
    expect(scans).toBeLessThan(decisions);
  });

  it('places a run of replicas with one scan per node they fill, while only they change the nodes', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 50; i++) cache.setNode(node(`n${i}`, { cpu: '4', memory: '8Gi', pods: '110', zone: 'a', ready: true, tainted: false }));
    const memo = new PlacementMemo(cache, 'binpack');
    const replica: Shape = { cpu: '500m', memory: '1Gi' };
    const chosen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const toPlace = podToPlace(pod(`web-${i}`, replica));
      const result = memo.schedule(toPlace);
      if (result.node === undefined) throw new Error('no node');
      chosen.push(result.node);
      cache.assume(toPlace.key, result.node, toPlace.requests);
    }
    // Bin-packing: eight replicas fill a node before the next one is used; when the
    // node no longer fits, the runner-up is unknown and all nodes are scanned.
    expect(new Set(chosen).size).toBe(25);
    expect(memo.fullScans).toBe(25);
    expect(chosen.slice(0, 9)).toEqual([...Array(8).fill('n0'), 'n1']);
  });

  it('scans again after a change that is not a placement, and always for spread', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 3; i++) cache.setNode(node(`n${i}`, { cpu: '4', memory: '8Gi', pods: '110', zone: 'a', ready: true, tainted: false }));
    const memo = new PlacementMemo(cache, 'binpack');
    const toPlace = podToPlace(pod('a', { cpu: '1', memory: '1Gi' }));
    memo.schedule(toPlace);
    memo.schedule(toPlace);
    expect(memo.fullScans).toBe(1);
    cache.removeNode('n2');
    memo.schedule(toPlace);
    expect(memo.fullScans).toBe(2);
    const spread = new PlacementMemo(cache, 'spread');
    spread.schedule(toPlace);
    spread.schedule(toPlace);
    expect(spread.fullScans).toBe(2);
  });
});

// The structure the README's architecture section draws, checked on every run
// of the test command: no import cycles anywhere, the control plane's rooms
// import only rooms below them, and the process boundaries of DESIGN hold
// (agent and ctl never reach into the control plane or etcd).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, readImportGraph, type SourceFile } from './import-graph.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTROL_PLANE_SRC = 'packages/controlplane/src/';

/**
 * The control plane's rooms, top to bottom: a room may import only rooms on a
 * later line (doors point down); rooms on one line are peers and import each
 * other not at all. "." is the composition root (main.ts, control-plane.ts,
 * index.ts); commands/ are the binary's subcommands (token, rotate-secrets-key).
 * auth/ and pki/ are policy over injected data: nothing of the control plane below them.
 */
export const CONTROL_PLANE_ROOMS: readonly (readonly string[])[] = [
  ['.'],
  ['commands'],
  ['grpc', 'rest', 'http'],
  ['api'],
  ['controllers', 'scheduler', 'nodes'],
  ['cache', 'metrics', 'etcd-member'],
  ['objects'],
  ['store', 'auth', 'pki', 'audit'],
];

const graph = readImportGraph(REPO);

function roomOf(path: string): string {
  const rest = path.slice(CONTROL_PLANE_SRC.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '.' : rest.slice(0, slash);
}

function rankOf(room: string): number {
  return CONTROL_PLANE_ROOMS.findIndex((line) => line.includes(room));
}

/** Why `from` may not import `to`, or undefined when the door points down. */
export function doorViolation(from: string, to: string): string | undefined {
  const [a, b] = [roomOf(from), roomOf(to)];
  if (a === b) return undefined;
  const [ra, rb] = [rankOf(a), rankOf(b)];
  if (rb > ra) return undefined;
  return rb === ra ? `${a}/ and ${b}/ are peers and must not import each other` : `${b}/ is above ${a}/`;
}

const controlPlane = graph.filter((file) => file.path.startsWith(CONTROL_PLANE_SRC));
const packageOf = (file: SourceFile): string => file.path.split('/')[1] ?? '';

describe('architecture', () => {
  it('reads the whole source tree', () => {
    expect(controlPlane.length).toBeGreaterThan(40);
    expect(graph.some((file) => file.path.startsWith('packages/agent/src/'))).toBe(true);
  });

  it('has no import cycle in any package', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('places every control-plane folder in a declared room', () => {
    const undeclared = [...new Set(controlPlane.map((file) => roomOf(file.path)))].filter((room) => rankOf(room) < 0);
    expect(undeclared, 'add the folder to CONTROL_PLANE_ROOMS (test/architecture/rooms.test.ts) and the README').toEqual([]);
  });

  it('has control-plane doors that point down only', () => {
    const violations = controlPlane.flatMap((file) =>
      file.localImports.flatMap((target) => {
        const why = target.startsWith(CONTROL_PLANE_SRC) ? doorViolation(file.path, target) : undefined;
        return why ? [`${file.path} imports ${target}: ${why}`] : [];
      }),
    );
    expect(violations).toEqual([]);
  });

  it('keeps etcd behind store/', () => {
    const users = graph.filter((file) => file.packageImports.includes('etcd3')).map((file) => file.path);
    expect(users.every((path) => path.startsWith(`${CONTROL_PLANE_SRC}store/`)), users.join(', ')).toBe(true);
  });

  it('keeps the processes apart: agent and ctl never import the control plane, nothing ships test helpers', () => {
    const crossings = graph.flatMap((file) => {
      const pkg = packageOf(file);
      const bad = file.packageImports.filter(
        (spec) =>
          ((pkg === 'agent' || pkg === 'cli' || pkg === 'api') && spec.startsWith('@skiff/controlplane')) ||
          ((pkg === 'controlplane' || pkg === 'cli' || pkg === 'api') && spec.startsWith('@skiff/agent')) ||
          (pkg === 'api' && spec.startsWith('@skiff/') ) ||
          (pkg !== 'testkit' && spec.startsWith('@skiff/testkit')),
      );
      const reachesAcross = file.localImports.filter((target) => !target.startsWith(`packages/${pkg}/`));
      return [...bad, ...reachesAcross].map((spec) => `${file.path} imports ${spec}`);
    });
    expect(crossings).toEqual([]);
  });
});

describe('doorViolation', () => {
  const at = (room: string): string => `${CONTROL_PLANE_SRC}${room === '.' ? '' : `${room}/`}file.ts`;
  it('allows downward doors and refuses upward and sideways ones', () => {
    expect(doorViolation(at('api'), at('objects'))).toBeUndefined();
    expect(doorViolation(at('.'), at('grpc'))).toBeUndefined();
    expect(doorViolation(at('objects'), at('api'))).toBe('api/ is above objects/');
    expect(doorViolation(at('controllers'), at('scheduler'))).toBe('controllers/ and scheduler/ are peers and must not import each other');
    expect(doorViolation(at('store'), at('.'))).toBe('./ is above store/');
  });
});

describe('findCycles', () => {
  it('finds a cycle of two and a self-import, and nothing in a tree', () => {
    const file = (path: string, ...localImports: string[]): SourceFile => ({ path, localImports, packageImports: [] });
    expect(findCycles([file('a', 'b'), file('b', 'a'), file('c', 'a')])).toEqual([['a', 'b']]);
    expect(findCycles([file('s', 's')])).toEqual([['s']]);
    expect(findCycles([file('a', 'b', 'c'), file('b', 'c'), file('c')])).toEqual([]);
  });
});

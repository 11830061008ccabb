// A deterministic manifest fuzzer: starting from the valid manifests of the
// fixtures (one per kind), it applies a few random mutations per document —
// deleted fields, values of the wrong type, renamed and unknown keys,
// duplicated list entries, broken kinds, apiVersions, names, labels, ports and
// quantities, lists where mappings belong and the reverse, huge strings, deep
// nesting — and now and then emits a JSON value that is not an object at all.
// Pure: the same (seed, count) always gives the same documents, and nothing
// here does I/O.
import { parse } from 'yaml';
import { VALID_MANIFESTS } from '../fixtures/invalid-manifests.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Path = (string | number)[];

/** mulberry32: small, fast and good enough to pick mutations. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight: [[weight, value], …]. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [w, value] of items) {
      roll -= w;
      if (roll < 0) return value;
    }
    return (items[items.length - 1] as readonly [number, T])[1];
  }
}

const BASES: readonly JsonObject[] = VALID_MANIFESTS.map((valid) => parse(valid.yaml) as JsonObject);

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Sets a key as an own data property, so that "__proto__" stays a field and never becomes a prototype. */
function setKey(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------
// Value pools

const WEIRD_STRINGS = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0x1F',
  '1e400',
  'true',
  'null',
  'undefined',
  '[object Object]',
  '\u0000',
  'tab\there',
  'line\nbreak',
  '\ud800', // a lone surrogate
  '💥🚀',
  'café',
  'مرحبا', // right-to-left
  'zero\u200bwidth',
  '${HOME}',
  '../../etc/passwd',
  '"quoted"',
  "it's",
  '\\',
  '<script>',
  'a'.repeat(64),
  'UPPER',
];

const QUANTITIES: readonly Json[] = [
  '1.5.3',
  '-1',
  '1e400',
  '9999999999Ei',
  '1e3',
  '0.1',
  '100m',
  '1Ki',
  '1KiB',
  ' 1',
  '1 ',
  '+1',
  '.5',
  '5.',
  '.',
  '',
  '0x10',
  'Infinity',
  'NaN',
  '1E',
  '1e',
  '1m5',
  '0',
  '-0',
  '1.1Gi',
  '12345678901234567890',
  -1,
  0,
  0.5,
  1e21,
  1e300,
  Number.MAX_SAFE_INTEGER,
];

const PORTS: readonly Json[] = [0, -1, 65535, 65536, 70000, 1.5, 2 ** 31, 2 ** 53, -0, '8080', '', 'http', 'HTTP', 'a--b', 'toolongportname16', '-http', 1e400 /* Infinity */];

const NUMBERS: readonly number[] = [0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 53, 1e21, 1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY];

const NAMES: readonly Json[] = [
  'Web', // upper case
  'WEB',
  'a'.repeat(254), // too long for any name
  'a'.repeat(253), // longest subdomain
  'a'.repeat(64), // too long for a label
  'a'.repeat(63),
  '',
  'a.b',
  'a..b',
  '.a',
  'a.',
  'a/b',
  '/',
  '..',
  '-a',
  'a-',
  '1abc',
  'a_b',
  'café',
  'a b',
  ' web',
  'web\n',
  'fuzz-new',
  'fuzz.dotted.name',
  'x',
  7,
  true,
  ['web'],
  { name: 'web' },
];

const LABEL_KEYS = [
  '-bad',
  'a/b/c',
  'example.com/',
  '/name',
  'a'.repeat(64),
  `${'p'.repeat(250)}.com/${'n'.repeat(63)}`,
  'UPPER.com/x',
  'app.kubernetes.io/name',
  'tier',
  '',
  ' ',
  'a b',
  '__proto__',
  'constructor',
  'ok_key.1',
  '💥',
];

const LABEL_VALUES: readonly Json[] = ['web app', '', 'v1', '1.0', 1.0, 1.5, true, null, 'x'.repeat(64), 'x'.repeat(63), '-a', 'a-', 'ok_value.1', { nested: 'x' }, ['a']];

const UNKNOWN_KEYS = ['flavour', 'Spec', 'metadata2', 'specs', '', ' ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a.b', 'a/b', '💥', '0', '$ref', 'x'.repeat(300)];

const KINDS: readonly Json[] = ['Pod', 'Deployment', 'Service', 'ConfigMap', 'Secret', 'Namespace', 'Node', 'Event', 'Lease', 'pod', 'PODS', 'pods', 'deployment.apps', 'Foo', '', 7, null, ['Pod'], { kind: 'Pod' }];

const API_VERSIONS: readonly Json[] = ['v1', 'apps/v1', 'apps/v1beta1', 'extensions/v1beta1', 'v2', 'V1', 'core/v1', '', 1, null, ['v1']];

const NAMESPACES: readonly Json[] = ['default', 'default', 'skiff-system', 'fixture-team', 'fuzz-missing', 'Prod', '', 'a'.repeat(64), 'kube-system', 'a.b', 7, null];

const SERVER_FIELDS: readonly (readonly [string, readonly Json[]])[] = [
  ['resourceVersion', ['1', 'abc', '99999999', '', '-1', '1e3', 1, '9'.repeat(20)]],
  ['uid', ['', 'not-a-uid', 7, '00000000-0000-0000-0000-000000000000']],
  ['generation', [-1, 0, 1.5, 'x', 2 ** 53, 1e308]],
  ['creationTimestamp', ['', 'yesterday', 0, '2024-01-01T00:00:00Z']],
  ['deletionTimestamp', ['2024-01-01T00:00:00Z', 'never', 1]],
  ['ownerReferences', [[], [{}], [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'u' }], 'owner', {}]],
];

// ---------------------------------------------------------------------------
// Random values

function hugeString(rng: Rng): string {
  const length = rng.weighted([
    [6, 254],
    [4, 4_096],
    [3, 70_000],
    [1, 1_100_000],
  ] as const);
  return rng.pick(['x', 'é', '9', '-']).repeat(length);
}

/** Nested mappings and lists, `depth` levels deep, built without recursion. */
export function deepValue(depth: number, arrays: 'objects' | 'arrays' | 'mixed'): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) {
    const asArray = arrays === 'arrays' || (arrays === 'mixed' && i % 2 === 1);
    value = asArray ? [value] : { a: value };
  }
  return value;
}

function deepDepth(rng: Rng): number {
  return rng.weighted([
    [3, 3],
    [3, 20],
    [2, 99],
    [2, 100],
    [2, 101],
    [2, 300],
    [1, 2_000],
    // Deeper than JSON.stringify manages: only validation sees these.
    [1, 6_000],
  ] as const);
}

function randomJson(rng: Rng, budget = 3): Json {
  const choice = rng.int(budget > 0 ? 9 : 6);
  switch (choice) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(NUMBERS);
    case 3:
      return rng.pick(WEIRD_STRINGS);
    case 4:
      return rng.int(1_000_000) - 500_000;
    case 5:
      return `s${rng.int(1000)}`;
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, budget - 1));
    case 7: {
      const out: JsonObject = {};
      for (let i = rng.int(4); i > 0; i--) setKey(out, rng.pick(UNKNOWN_KEYS.concat(['a', 'b', 'name', 'value'])), randomJson(rng, budget - 1));
      return out;
    }
    default:
      return rng.pick<Json>([{}, [], [[]], [{}], { '': '' }]);
  }
}

/** A value of some type, picked to be awkward wherever it lands. */
function weirdValue(rng: Rng): Json {
  switch (rng.int(12)) {
    case 0:
      return rng.pick(NUMBERS);
    case 1:
      return rng.pick(WEIRD_STRINGS);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return [rng.pick(WEIRD_STRINGS), rng.int(10)];
    case 5:
      return { unexpected: rng.pick(WEIRD_STRINGS) };
    case 6:
      return hugeString(rng);
    case 7:
      return deepValue(deepDepth(rng), rng.pick(['objects', 'arrays', 'mixed'] as const));
    case 8:
      return rng.pick(QUANTITIES);
    case 9:
      return -1 - rng.int(100_000);
    case 10:
      return [];
    default:
      return randomJson(rng);
  }
}

// ---------------------------------------------------------------------------
// Navigating documents

interface Site {
  /** The container holding the value (object or array). */
  readonly parent: JsonObject | Json[];
  readonly key: string | number;
  readonly path: Path;
}

/** Every value below the root, in document order (bounded: deep values are not walked). */
function sites(root: Json, maxDepth = 12): Site[] {
  const out: Site[] = [];
  const stack: { node: Json; path: Path }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: Json; path: Path };
    if (path.length >= maxDepth) continue;
    const children: Site[] = [];
    if (Array.isArray(node)) node.forEach((_, i) => children.push({ parent: node, key: i, path: [...path, i] }));
    else if (isObject(node)) for (const key of Object.keys(node)) children.push({ parent: node, key, path: [...path, key] });
    out.push(...children);
    for (const child of children.slice().reverse()) stack.push({ node: valueAt(child), path: child.path });
  }
  return out;
}

function valueAt(site: Site): Json {
  return Array.isArray(site.parent) ? (site.parent[site.key as number] as Json) : (site.parent[site.key as string] as Json);
}

function setAt(site: Site, value: Json): void {
  if (Array.isArray(site.parent)) site.parent[site.key as number] = value;
  else setKey(site.parent, site.key as string, value);
}

function deleteAt(site: Site): void {
  if (Array.isArray(site.parent)) site.parent.splice(site.key as number, 1);
  else delete site.parent[site.key as string];
}

/** The object at `path`, created (replacing whatever is there) when missing or not a mapping. */
function objectAt(doc: JsonObject, path: readonly string[]): JsonObject {
  let node = doc;
  for (const key of path) {
    const next = node[key];
    if (isObject(next)) node = next;
    else {
      const created: JsonObject = {};
      setKey(node, key, created);
      node = created;
    }
  }
  return node;
}

const sitesWhere = (doc: JsonObject, test: (site: Site, value: Json) => boolean): Site[] =>
  sites(doc).filter((site) => test(site, valueAt(site)));

// ---------------------------------------------------------------------------
// Mutations

type Mutation = (doc: JsonObject, rng: Rng) => Json;

const deleteField: Mutation = (doc, rng) => {
  const all = sites(doc);
  if (all.length > 0) deleteAt(rng.pick(all));
  return doc;
};

const replaceValue: Mutation = (doc, rng) => {
  const all = sites(doc);
  if (all.length > 0) setAt(rng.pick(all), weirdValue(rng));
  return doc;
};

function renamed(key: string, rng: Rng): string {
  switch (rng.int(8)) {
    case 0:
      return key.toUpperCase();
    case 1:
      return key.charAt(0).toUpperCase() + key.slice(1);
    case 2:
      return key.replace(/([A-Z])/g, '_$1').toLowerCase();
    case 3:
      return `${key}s`;
    case 4:
      return key.slice(0, -1);
    case 5:
      return ` ${key}`;
    case 6:
      return `${key}.${key}`;
    default:
      return rng.pick(UNKNOWN_KEYS);
  }
}

const renameKey: Mutation = (doc, rng) => {
  const candidates = sitesWhere(doc, (site) => typeof site.key === 'string');
  if (candidates.length === 0) return doc;
  const site = rng.pick(candidates);
  const parent = site.parent as JsonObject;
  const oldKey = site.key as string;
  const newKey = renamed(oldKey, rng);
  // Rebuild the mapping to keep the key's position.
  const entries = Object.entries(parent);
  for (const key of Object.keys(parent)) delete parent[key];
  for (const [key, value] of entries) setKey(parent, key === oldKey ? newKey : key, value);
  return doc;
};

const addUnknownField: Mutation = (doc, rng) => {
  const objects = [doc, ...sitesWhere(doc, (_, v) => isObject(v)).map((s) => valueAt(s) as JsonObject)];
  setKey(rng.pick(objects), rng.pick(UNKNOWN_KEYS), rng.chance(0.5) ? randomJson(rng) : weirdValue(rng));
  return doc;
};

const duplicateListEntry: Mutation = (doc, rng) => {
  const lists = sitesWhere(doc, (_, v) => Array.isArray(v) && v.length > 0).map((s) => valueAt(s) as Json[]);
  if (lists.length === 0) return doc;
  const list = rng.pick(lists);
  const original = list[rng.int(list.length)] as Json;
  let entry: Json;
  try {
    entry = clone(original);
  } catch {
    entry = original; // too deep to clone: share it (still a tree as far as JSON goes)
  }
  list.splice(rng.int(list.length + 1), 0, entry);
  return doc;
};

const changeKind: Mutation = (doc, rng) => {
  setKey(doc, 'kind', rng.pick(KINDS));
  return doc;
};

const changeApiVersion: Mutation = (doc, rng) => {
  if (rng.chance(0.1)) delete doc['apiVersion'];
  else setKey(doc, 'apiVersion', rng.pick(API_VERSIONS));
  return doc;
};

const breakName: Mutation = (doc, rng) => {
  if (rng.chance(0.08)) {
    setKey(doc, 'metadata', rng.pick<Json>(['web', [], [{ name: 'web' }], 7, null]));
    return doc;
  }
  const metadata = objectAt(doc, ['metadata']);
  if (rng.chance(0.1)) delete metadata['name'];
  else setKey(metadata, 'name', rng.pick(NAMES));
  return doc;
};

const LABEL_MAPS: readonly (readonly string[])[] = [
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['spec', 'selector'],
  ['spec', 'selector', 'matchLabels'],
  ['spec', 'template', 'metadata', 'labels'],
  ['spec', 'nodeSelector'],
  ['spec', 'template', 'spec', 'nodeSelector'],
];

const mutateLabels: Mutation = (doc, rng) => {
  const existing = LABEL_MAPS.filter((path) => {
    let node: Json = doc;
    for (const key of path) node = isObject(node) ? (node[key] ?? null) : null;
    return isObject(node);
  });
  const path = existing.length > 0 && rng.chance(0.8) ? rng.pick(existing) : rng.pick(LABEL_MAPS);
  const map = objectAt(doc, path);
  switch (rng.int(4)) {
    case 0: // a bad key
      setKey(map, rng.pick(LABEL_KEYS), 'v');
      break;
    case 1: {
      // a bad value for an existing (or new) key
      const keys = Object.keys(map);
      setKey(map, keys.length > 0 ? rng.pick(keys) : 'app', rng.pick(LABEL_VALUES));
      break;
    }
    case 2: // break a selector/template match, or the map itself
      setKey(map, 'app', `other-${rng.int(3)}`);
      break;
    default:
      setKey(map, rng.pick(LABEL_KEYS), rng.pick(LABEL_VALUES));
  }
  return doc;
};

const PORT_KEYS = new Set(['port', 'containerPort', 'targetPort', 'hostPort', 'nodePort']);

const breakPort: Mutation = (doc, rng) => {
  const ports = sitesWhere(doc, (site) => typeof site.key === 'string' && PORT_KEYS.has(site.key));
  if (ports.length > 0) setAt(rng.pick(ports), rng.pick(PORTS));
  else objectAt(doc, ['spec'])['ports'] = [{ port: rng.pick(PORTS) }];
  return doc;
};

const breakQuantity: Mutation = (doc, rng) => {
  const existing = sitesWhere(doc, (site) => site.key === 'cpu' || site.key === 'memory');
  if (existing.length > 0 && rng.chance(0.8)) {
    setAt(rng.pick(existing), rng.pick(QUANTITIES));
    return doc;
  }
  const containers = sitesWhere(doc, (site, v) => site.key === 'containers' && Array.isArray(v)).map((s) => valueAt(s) as Json[]);
  const container = containers.length > 0 ? rng.pick(containers)[0] : undefined;
  if (isObject(container)) {
    const list = objectAt(container, ['resources', rng.pick(['requests', 'limits'])]);
    setKey(list, rng.pick(['cpu', 'memory', 'ephemeral-storage', 'gpu']), rng.pick(QUANTITIES));
  }
  return doc;
};

/** Lists where mappings belong and mappings where lists belong. */
const swapListAndMap: Mutation = (doc, rng) => {
  const containers = sitesWhere(doc, (_, v) => Array.isArray(v) || isObject(v));
  if (containers.length === 0) return doc;
  const site = rng.pick(containers);
  const value = valueAt(site);
  if (Array.isArray(value)) {
    if (rng.chance(0.5)) setAt(site, value[0] ?? {});
    else {
      const asMap: JsonObject = {};
      value.forEach((item, i) => setKey(asMap, String(i), item));
      setAt(site, asMap);
    }
  } else if (isObject(value)) {
    setAt(
      site,
      rng.pick<Json>([
        [value],
        Object.entries(value).map(([k, v]) => ({ name: k, value: v })),
        Object.keys(value),
        Object.values(value),
      ]),
    );
  }
  return doc;
};

const setNamespace: Mutation = (doc, rng) => {
  setKey(objectAt(doc, ['metadata']), 'namespace', rng.pick(NAMESPACES));
  return doc;
};

const serverOwnedField: Mutation = (doc, rng) => {
  if (rng.chance(0.2)) {
    setKey(doc, 'status', rng.pick<Json>([{}, { phase: 'Running' }, { phase: 'Terminating' }, 'done', [], { replicas: -1 }]));
    return doc;
  }
  const [field, values] = rng.pick(SERVER_FIELDS);
  setKey(objectAt(doc, ['metadata']), field, rng.pick(values));
  return doc;
};

const deepNest: Mutation = (doc, rng) => {
  const objects = [doc, ...sitesWhere(doc, (_, v) => isObject(v)).map((s) => valueAt(s) as JsonObject)];
  const target = rng.pick(objects);
  const keys = Object.keys(target);
  const key = keys.length > 0 && rng.chance(0.5) ? rng.pick(keys) : rng.pick(['deep', 'data', 'labels', 'spec', 'status']);
  setKey(target, key, deepValue(deepDepth(rng), rng.pick(['objects', 'arrays', 'mixed'] as const)));
  return doc;
};

const hugeValue: Mutation = (doc, rng) => {
  const strings = sitesWhere(doc, (_, v) => typeof v === 'string');
  if (strings.length > 0) setAt(rng.pick(strings), hugeString(rng));
  return doc;
};

const edgeNumber: Mutation = (doc, rng) => {
  const numbers = sitesWhere(doc, (_, v) => typeof v === 'number');
  const pool: readonly Json[] = [...NUMBERS, ...PORTS, '2', 'NaN', '-1'];
  if (numbers.length > 0) setAt(rng.pick(numbers), rng.pick(pool));
  else setKey(objectAt(doc, ['spec']), rng.pick(['replicas', 'terminationGracePeriodSeconds', 'minReadySeconds']), rng.pick(pool));
  return doc;
};

const unicodeValue: Mutation = (doc, rng) => {
  const strings = sitesWhere(doc, (_, v) => typeof v === 'string');
  if (strings.length > 0) {
    const site = rng.pick(strings);
    const s = valueAt(site) as string;
    setAt(site, rng.pick([`${s}💥`, s.toUpperCase(), `${s}\u0000`, `\ud800${s}`, `${s}é`, s.normalize('NFD'), `\u202e${s}`]));
  }
  return doc;
};

const MUTATIONS: readonly (readonly [number, Mutation])[] = [
  [8, deleteField],
  [10, replaceValue],
  [5, renameKey],
  [6, addUnknownField],
  [5, duplicateListEntry],
  [3, changeKind],
  [3, changeApiVersion],
  [6, breakName],
  [6, mutateLabels],
  [4, breakPort],
  [5, breakQuantity],
  [4, swapListAndMap],
  [3, setNamespace],
  [3, serverOwnedField],
  [2, deepNest],
  [2, hugeValue],
  [4, edgeNumber],
  [3, unicodeValue],
];

/** Something that is not a manifest at all. */
function notAnObject(rng: Rng): Json {
  return rng.pick<() => Json>([
    () => null,
    () => rng.pick(NUMBERS),
    () => rng.pick(WEIRD_STRINGS),
    () => rng.chance(0.5),
    () => [],
    () => [clone(rng.pick(BASES))],
    () => Array.from({ length: rng.int(5) }, () => randomJson(rng)),
    () => deepValue(deepDepth(rng), 'arrays'),
    () => hugeString(rng),
  ])();
}

/**
 * `count` documents, the same ones for the same seed: mostly mutated copies of
 * the fixtures' valid manifests (a few left intact, so applying them succeeds),
 * and some JSON values that are not objects at all.
 */
export function generateManifests(seed: number, count: number): unknown[] {
  const rng = new Rng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.03)) {
      out.push(notAnObject(rng));
      continue;
    }
    let doc: Json = clone(rng.pick(BASES));
    const mutations = rng.weighted([
      [6, 0],
      [50, 1],
      [25, 2],
      [12, 3],
      [7, 5],
    ] as const);
    for (let m = 0; m < mutations && isObject(doc); m++) doc = rng.weighted(MUTATIONS)(doc, rng);
    out.push(doc);
  }
  return out;
}

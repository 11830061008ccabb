import { describe, expect, it } from 'vitest';
import {
  isValidLabelKey,
  isValidLabelValue,
  parseSelector,
  SelectorSyntaxError,
  selectorFromLabelSelector,
  selectorFromLabels,
} from './labels.js';

const web = { app: 'web', tier: 'frontend', env: 'prod' };
const db = { app: 'db', tier: 'backend' };

describe('parseSelector', () => {
  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['', web, true],
    ['   ', undefined, true],
    ['app=web', web, true],
    ['app=web', db, false],
    ['app==web', web, true],
    ['app = web', web, true],
    ['app!=web', web, false],
    ['app!=web', db, true],
    ['env!=prod', db, true],
    ['app in (web,db)', db, true],
    ['app in (web, api)', db, false],
    ['app in(web)', web, true],
    ['app notin (web)', web, false],
    ['app notin (web)', db, true],
    ['env notin (prod)', db, true],
    ['env', web, true],
    ['env', db, false],
    ['!env', db, true],
    ['!env', web, false],
    ['! env', db, true],
    ['app=web,tier=frontend', web, true],
    ['app=web , tier=backend', web, false],
    ['app in (web,db),!legacy,tier', db, true],
    ['app=web', undefined, false],
    ['!app', undefined, true],
    ['app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }, true],
    ['constructor', {}, false],
    ['in=x', { in: 'x' }, true],
  ])('%j on %j is %s', (text, labels, expected) => {
    expect(parseSelector(text).matches(labels)).toBe(expected);
  });

  it('reports emptiness', () => {
    expect(parseSelector('').isEmpty()).toBe(true);
    expect(parseSelector(' ').isEmpty()).toBe(true);
    expect(parseSelector('a').isEmpty()).toBe(false);
  });

  it('parses into requirements', () => {
    expect(parseSelector('a=b, c!=d, e in (f,g), h notin (i), j, !k').requirements).toEqual([
      { key: 'a', operator: 'Equals', values: ['b'] },
      { key: 'c', operator: 'NotEquals', values: ['d'] },
      { key: 'e', operator: 'In', values: ['f', 'g'] },
      { key: 'h', operator: 'NotIn', values: ['i'] },
      { key: 'j', operator: 'Exists', values: [] },
      { key: 'k', operator: 'DoesNotExist', values: [] },
    ]);
  });

  it('prints a canonical form that parses back to the same selector', () => {
    const text = 'a==b,  c != d,e in(f, g),h notin (i),j,! k';
    const printed = parseSelector(text).toString();
    expect(printed).toBe('a=b,c!=d,e in (f,g),h notin (i),j,!k');
    expect(parseSelector(printed).requirements).toEqual(parseSelector(text).requirements);
  });

  it.each<[string, number, string]>([
    ['app=', 4, 'expected a value after "="'],
    ['app!=', 5, 'expected a value after "!="'],
    ['=web', 0, 'expected a label key, found "="'],
    ['app=web,', 8, 'expected a label key, found the end of the selector'],
    [',', 0, 'expected a label key'],
    ['app web', 4, 'expected "=", "==", "!=", "in", "notin", "," or the end of the selector after label key "app", found "web"'],
    ['app in web', 7, 'expected "(" after "in"'],
    ['app in (web', 11, 'expected "," or ")"'],
    ['app in ()', 8, 'expected a value after "("'],
    ['app in (a,)', 10, 'expected a value after ","'],
    ['app=web=x', 7, 'expected "," or the end of the selector after "app=web", found "="'],
    ['!app=web', 4, 'expected "," or the end of the selector after "!app"'],
    ['!', 1, 'expected a label key after "!"'],
    ['-app=web', 0, 'invalid label key "-app"'],
    ['a/b/c', 0, 'invalid label key "a/b/c"'],
    ['app=-web', 4, 'invalid label value "-web"'],
    ['app in (ok, bad!)', 15, 'expected "," or ")"'],
    [`app=${'x'.repeat(64)}`, 4, 'invalid label value'],
  ])('rejects %j at position %d', (text, position, problem) => {
    let error: unknown;
    try {
      parseSelector(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SelectorSyntaxError);
    expect(error).toBeInstanceOf(Error);
    const e = error as SelectorSyntaxError;
    expect(e.position).toBe(position);
    expect(e.message).toContain(problem);
    expect(e.message).toContain(`at position ${position}`);
    expect(e.message.startsWith(`label selector ${JSON.stringify(text)}: `)).toBe(true);
  });

  it('words the brief example exactly', () => {
    expect(() => parseSelector('app=')).toThrow('label selector "app=": expected a value after "=" at position 4');
  });
});

describe('selectorFromLabelSelector', () => {
  it('combines matchLabels and matchExpressions', () => {
    const sel = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'tier', operator: 'NotIn', values: ['backend'] },
        { key: 'env', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(sel.matches(web)).toBe(true);
    expect(sel.matches({ ...web, legacy: 'yes' })).toBe(false);
    expect(sel.matches({ ...web, env: 'dev' })).toBe(false);
    expect(sel.matches(db)).toBe(false);
    expect(sel.toString()).toBe('app=web,env in (prod,staging),tier notin (backend),env,!legacy');
  });

  it('is empty without requirements', () => {
    expect(selectorFromLabelSelector({}).isEmpty()).toBe(true);
    expect(selectorFromLabelSelector(undefined).isEmpty()).toBe(true);
    expect(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).matches(undefined)).toBe(true);
  });

  it('rejects what Kubernetes rejects', () => {
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      'matchExpressions[0].values: must not be empty when operator is In',
    );
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow(
      TypeError,
    );
    expect(() => selectorFromLabelSelector({ matchLabels: { 'bad key': 'x' } })).toThrow(TypeError);
    expect(() => selectorFromLabelSelector({ matchLabels: { a: 'bad value' } })).toThrow(TypeError);
  });

  it('selectorFromLabels matches supersets', () => {
    const sel = selectorFromLabels({ app: 'web' });
    expect(sel.matches(web)).toBe(true);
    expect(sel.matches(db)).toBe(false);
    expect(selectorFromLabels(undefined).isEmpty()).toBe(true);
  });
});

describe('label keys and values', () => {
  it.each([
    'app',
    'a',
    'app.kubernetes.io/name',
    'example.com/my_key',
    'A-b_c.D',
    'k8s.io/x',
    'x'.repeat(63),
    `${'a'.repeat(253)}/b`,
  ])('accepts the key %s', (key) => {
    expect(isValidLabelKey(key)).toBe(true);
  });

  it.each([
    '',
    '/app',
    'app/',
    'a/b/c',
    '-app',
    'app-',
    '_app',
    'bad key',
    'Example.com/app',
    'example..com/app',
    'x'.repeat(64),
    `${'a'.repeat(254)}/b`,
    'app!',
  ])('rejects the key %j', (key) => {
    expect(isValidLabelKey(key)).toBe(false);
  });

  it.each(['', 'web', 'Web-1', 'v1.2.3', 'a_b', 'x'.repeat(63), '0'])('accepts the value %j', (value) => {
    expect(isValidLabelValue(value)).toBe(true);
  });

  it.each(['-web', 'web-', '.x', 'a b', 'a/b', 'x'.repeat(64), 'é'])('rejects the value %j', (value) => {
    expect(isValidLabelValue(value)).toBe(false);
  });
});

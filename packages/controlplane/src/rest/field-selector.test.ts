import { describe, expect, it } from 'vitest';
import type { ResourceObject } from '@skiff/api';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } } as unknown as ResourceObject;

describe('fieldSelector', () => {
  it('matches =, == and != terms, all of them, on dotted paths', () => {
    expect(fieldsMatch(parseFieldSelector('metadata.name=web'), pod)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('metadata.namespace==shop,spec.nodeName=n1'), pod)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('status.phase!=Running'), pod)).toBe(false);
    expect(fieldsMatch(parseFieldSelector('metadata.name=web,spec.nodeName=n2'), pod)).toBe(false);
  });

  it('reads an absent field as "" and an empty selector as everything', () => {
    expect(fieldsMatch(parseFieldSelector('spec.missing='), pod)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('spec.missing!=x'), pod)).toBe(true);
    expect(fieldsMatch(parseFieldSelector(''), pod)).toBe(true);
    expect(fieldsMatch(parseFieldSelector(null), pod)).toBe(true);
  });

  it('refuses a term without an operator, saying how to write one', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(/write path=value/);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { canonicalDnsName, canonicalIp, sameAltNames, splitAltNames } from './alt-names.js';

describe('canonicalIp', () => {
  it('spells addresses one way', () => {
    expect(canonicalIp('10.0.0.5')).toBe('10.0.0.5');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('[FD00::0005]')).toBe('fd00::5');
    expect(canonicalIp('::ffff:1.2.3.4')).toBe('::ffff:102:304');
  });

  it('is undefined for anything else', () => {
    for (const text of ['', 'localhost', '1.2.3.999', '01.2.3.4', 'fe80::1%eth0', '1.2.3.4:7400', '[10.0.0.1']) {
      expect(canonicalIp(text), text).toBeUndefined();
    }
  });
});

describe('canonicalDnsName', () => {
  it('lowercases and drops a trailing dot; allows one leading wildcard', () => {
    expect(canonicalDnsName('Node1.Example.COM.')).toBe('node1.example.com');
    expect(canonicalDnsName('localhost')).toBe('localhost');
    expect(canonicalDnsName('*.skiff.internal')).toBe('*.skiff.internal');
  });

  it('is undefined for names certificates must not carry', () => {
    for (const text of ['', 'a..b', '-a.b', 'a_b', 'a b', '*', '*.*.a', 'a.*.b', '1.2.3.999', `${'a'.repeat(64)}.b`, 'http://x']) {
      expect(canonicalDnsName(text), text).toBeUndefined();
    }
  });
});

describe('splitAltNames', () => {
  it('sorts hosts into IPs and DNS names, canonical and without duplicates', () => {
    expect(splitAltNames(['10.0.0.5', 'Node1', '::1', ' node1 ', '0:0::1', 'localhost'])).toEqual({
      dnsNames: ['node1', 'localhost'],
      ipAddresses: ['10.0.0.5', '::1'],
    });
  });

  it('refuses garbage naming the list and the entry', () => {
    expect(() => splitAltNames(['10.0.0.5', 'not a host'], '--tls-san')).toThrow(InvalidError);
    expect(() => splitAltNames(['not a host'], '--tls-san')).toThrow('--tls-san "not a host": neither an IP address nor a DNS name; give e.g. 10.0.0.5, fd00::5 or node1.example.com');
  });
});

describe('sameAltNames', () => {
  it('ignores order and duplicates, not content', () => {
    const a = { dnsNames: ['a', 'b'], ipAddresses: ['10.0.0.1'] };
    expect(sameAltNames(a, { dnsNames: ['b', 'a', 'a'], ipAddresses: ['10.0.0.1'] })).toBe(true);
    expect(sameAltNames(a, { dnsNames: ['a'], ipAddresses: ['10.0.0.1'] })).toBe(false);
    expect(sameAltNames(a, { dnsNames: ['a', 'b', '10.0.0.1'], ipAddresses: [] })).toBe(false);
  });
});

import { InvalidError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { hostOf, isLoopbackHost, parseHostPort, parseHostPortList } from './host-port.js';

describe('parseHostPort', () => {
  it('reads host names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('cp.example.com:7400', '--server')).toEqual({ host: 'cp.example.com', port: 7400 });
    expect(parseHostPort('10.0.0.5:0', '--listen')).toEqual({ host: '10.0.0.5', port: 0 });
    expect(parseHostPort('[fd00::1]:7400', '--server')).toEqual({ host: 'fd00::1', port: 7400 });
  });

  it('refuses what is not HOST:PORT, naming the flag', () => {
    for (const bad of ['cp.example.com', ':7400', 'fd00::1:7400', '[cp]:7400', 'h:99999', 'h:port', 'a b:1']) {
      expect(() => parseHostPort(bad, '--server'), bad).toThrow(InvalidError);
    }
    expect(() => parseHostPort('cp', '--server')).toThrow('--server must be HOST:PORT (an IPv6 host in brackets, e.g. [fd00::1]:7400), not "cp"');
  });
});

describe('parseHostPortList', () => {
  it('splits on commas and checks every address', () => {
    expect(parseHostPortList('10.0.0.5:7400, 10.0.0.6:7400,', '--server')).toEqual(['10.0.0.5:7400', '10.0.0.6:7400']);
    expect(() => parseHostPortList('10.0.0.5:7400,nope', '--server')).toThrow('not "nope"');
    expect(() => parseHostPortList(' , ', '--server')).toThrow('--server needs at least one HOST:PORT');
  });
});

describe('hostOf and isLoopbackHost', () => {
  it('finds the host and tells loopback from the rest', () => {
    expect(hostOf('[::1]:7410')).toBe('::1');
    expect(hostOf('127.0.0.1:0')).toBe('127.0.0.1');
    for (const host of ['localhost', '127.0.0.1', '127.9.8.7', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.5', '0.0.0.0', '::', 'fd00::1', 'localhost.example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

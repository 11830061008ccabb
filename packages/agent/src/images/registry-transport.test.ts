import { describe, expect, it } from 'vitest';
import { registryBaseUrl } from './registry-transport.js';

describe('registryBaseUrl', () => {
  it('uses plain HTTP for loopback and configured insecure registries only', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('127.0.0.7:5000')).toBe('http://127.0.0.7:5000');
    expect(registryBaseUrl('localhost')).toBe('http://localhost');
    expect(registryBaseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(registryBaseUrl('registry.example.com')).toBe('https://registry.example.com');
    expect(registryBaseUrl('registry-1.docker.io')).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl('10.0.0.5:5000', ['10.0.0.5:5000'])).toBe('http://10.0.0.5:5000');
    expect(registryBaseUrl('lab.local:5000', ['lab.local'])).toBe('http://lab.local:5000');
    expect(registryBaseUrl('lab.local:5000', ['lab.local:6000'])).toBe('https://lab.local:5000');
  });
});

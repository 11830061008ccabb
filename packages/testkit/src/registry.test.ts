import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startRegistry } from './registry.js';

/** Local addresses ("0100007F:1F90" style, as the kernel prints them) listening on `port`, IPv4 and IPv6. */
async function listenersOn(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // Field 3 is the socket state; 0A is LISTEN.
      if (fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`)) found.push(fields[1]);
    }
  }
  return found;
}

describe('startRegistry', () => {
  it('serves the distribution API on 127.0.0.1 only, and cleans up on stop()', async () => {
    const registry = await startRegistry();
    try {
      expect(registry.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const response = await fetch(`http://${registry.address}/v2/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      const catalog = (await (await fetch(`http://${registry.address}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories).toEqual([]);
      const port = Number(registry.address.split(':')[1]);
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      expect(await listenersOn(port)).toEqual([`0100007F:${hexPort}`]);
    } finally {
      await registry.stop();
    }
    expect(registry.process.running).toBe(false);
    expect(existsSync(registry.storageDir)).toBe(false);
    await registry.stop(); // idempotent
  });
});

import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidError } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { AuditLog, type AuditEntry } from './audit-log.js';

const NOW = new Date('2026-12-01T10:15:00.123Z');

const DELETE: AuditEntry = {
  user: 'admin',
  groups: ['system:masters', 'system:authenticated'],
  verb: 'delete',
  resource: 'deployments',
  namespace: 'shop',
  name: 'web',
  code: 'OK',
  latencyMs: 4.21337,
  method: '/skiff.v1.Api/Delete',
};

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-audit-'));
  path = join(dir, 'logs', 'audit.log');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('AuditLog', () => {
  it('writes one JSON line per record with exactly the audit fields, to a 0600 file, all of it by close()', async () => {
    const log = await AuditLog.open({ path, now: () => NOW });
    expect(log.enabled).toBe(true);
    log.record(DELETE);
    const withBody = { ...DELETE, verb: 'create', name: undefined, code: 'PERMISSION_DENIED', body: '{"data":{"password":"aHVudGVyMg=="}}' } as const;
    log.record(withBody);
    log.record({ ...DELETE, verb: 'update', resource: 'deployments', subresource: 'scale', namespace: undefined, code: 'ABORTED' });
    await log.close();
    await log.close();

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'logs'))).mode & 0o777).toBe(0o700);
    const written = await lines(path);
    expect(written.map((line) => Object.keys(line as object))).toEqual([
      ['ts', 'user', 'groups', 'verb', 'resource', 'namespace', 'name', 'code', 'latencyMs', 'method'],
      ['ts', 'user', 'groups', 'verb', 'resource', 'namespace', 'code', 'latencyMs', 'method'],
      ['ts', 'user', 'groups', 'verb', 'resource', 'subresource', 'name', 'code', 'latencyMs', 'method'],
    ]);
    expect(written[0]).toEqual({ ts: '2026-12-01T10:15:00.123Z', ...DELETE, latencyMs: 4.213 });
    expect(written[1]).toMatchObject({ verb: 'create', code: 'PERMISSION_DENIED' });
    expect(written[2]).toMatchObject({ verb: 'update', subresource: 'scale', code: 'ABORTED' });
    expect(await readFile(path, 'utf8')).not.toContain('password');
    log.record(DELETE); // after close: dropped, not thrown
  });

  it('rotates at the size limit, keeping at most maxFiles rotated files, newest lines last and none lost among them', async () => {
    const log = await AuditLog.open({ path, maxSize: '600B', maxFiles: 2, now: () => NOW });
    const total = 40;
    for (let i = 0; i < total; i++) log.record({ ...DELETE, name: `web-${i}` });
    await log.close();

    expect((await readdir(join(dir, 'logs'))).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    const kept: unknown[] = [];
    for (const file of ['audit.log.2', 'audit.log.1', 'audit.log']) {
      const size = (await stat(join(dir, 'logs', file))).size;
      if (file !== 'audit.log') expect(size).toBeGreaterThanOrEqual(600);
      expect(size).toBeLessThan(600 + 300); // rotated right after the line that reached the limit
      expect((await stat(join(dir, 'logs', file))).mode & 0o777).toBe(0o600);
      if (size > 0) kept.push(...(await lines(join(dir, 'logs', file))));
    }
    const names = kept.map((line) => (line as { name: string }).name);
    expect(names.length).toBeGreaterThan(4);
    expect(names.length).toBeLessThan(total);
    expect(names).toEqual(Array.from({ length: names.length }, (_, i) => `web-${total - names.length + i}`));
  });

  it('appends to an existing file and takes its permissions back to 0600', async () => {
    const first = await AuditLog.open({ path, now: () => NOW });
    first.record(DELETE);
    await first.close();
    await chmod(path, 0o644);
    const second = await AuditLog.open({ path, now: () => NOW });
    second.record({ ...DELETE, name: 'api' });
    await second.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await lines(path)).map((line) => (line as { name: string }).name)).toEqual(['web', 'api']);
  });

  it('refuses a size or a count it cannot use, naming the flag', async () => {
    expect((await rejectionOf(AuditLog.open({ path, maxSize: '100MB' }), InvalidError)).message).toBe(
      '--audit-log-max-size: must be a size like 100M (a whole number and B, K, M or G), not "100MB"',
    );
    expect((await rejectionOf(AuditLog.open({ path, maxFiles: 0 }), InvalidError)).message).toContain('--audit-log-max-files: must be');
  });

  it('records nothing when disabled', async () => {
    const log = AuditLog.disabled();
    expect(log.enabled).toBe(false);
    log.record(DELETE);
    await log.close();
    expect(await readdir(dir)).toEqual([]);
  });
});

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSnapshotCommand } from './snapshot.js';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env: {} } };
}

describe('skiff-controlplane snapshot (arguments and refusals; the round trip is test/e2e/etcd-care-snapshot.test.ts)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const scratch = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-snapshot-unit-'));
    dirs.push(dir);
    return dir;
  };

  it('wants save FILE or restore FILE', async () => {
    const { out, io: streams } = io();
    expect(await runSnapshotCommand(['backup'], streams)).toBe(2);
    expect(out.stderr).toMatch(/expected save FILE or restore FILE, not "backup"/);
  });

  it('refuses to restore into a directory that is not empty, leaving it and its neighbours as they were', async () => {
    const dir = scratch();
    const target = join(dir, 'etcd');
    mkdirSync(join(target, 'member'), { recursive: true });
    writeFileSync(join(dir, 'backup.db'), 'not really a snapshot');
    const { out, io: streams } = io();
    expect(await runSnapshotCommand(['restore', join(dir, 'backup.db'), '--etcd-data-dir', target], streams)).toBe(1);
    expect(out.stderr).toMatch(/--etcd-data-dir .*etcd is not empty \(member\): restore only into a fresh directory/);
    expect(readdirSync(dir).sort()).toEqual(['backup.db', 'etcd']);
    expect(readdirSync(target)).toEqual(['member']);
  });

  it('says how to get etcdctl when it is missing, and leaves no staging dir behind', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'backup.db'), 'x');
    const { out, io: streams } = io();
    const code = await runSnapshotCommand(['restore', join(dir, 'backup.db'), '--etcd-data-dir', join(dir, 'etcd'), '--etcdctl', join(dir, 'no-etcdctl')], streams);
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/no-etcdctl not found: install etcdctl \(Debian: apt-get install etcd-client\)/);
    expect(readdirSync(dir)).toEqual(['backup.db']);
  });

  it('passes etcdctl\'s own refusal on (a file that is no snapshot)', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'backup.db'), 'x');
    const { out, io: streams } = io();
    expect(await runSnapshotCommand(['restore', join(dir, 'backup.db'), '--etcd-data-dir', join(dir, 'etcd')], streams)).toBe(1);
    expect(out.stderr).toMatch(/etcdctl snapshot restore failed: /);
    expect(readdirSync(dir)).toEqual(['backup.db']);
  });
});

// packTar builds the marker archives GNU tar unpacks into layers, so GNU tar
// must read back exactly what was asked for. Reading is tested through
// unpackTar (unpack-layer.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packTar } from './tar-entries.js';

const work = mkdtempSync(join(tmpdir(), 'skiff-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packTar', () => {
  it('writes entries GNU tar reads: long names, pax xattrs, devices, mode 0', async () => {
    const longName = `x/${'y'.repeat(150)}`;
    const archive = await packTar([
      { name: 'x/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.user.test': 'v' } },
      { name: longName, mode: 0o600, mtime: new Date(42_000), content: 'data' },
      { name: 'dev', type: 'character-device', mode: 0o640, devmajor: 1, devminor: 3 },
      { name: 'wh', type: 'character-device', mode: 0 },
    ]);
    const file = join(work, 'written.tar');
    writeFileSync(file, archive);
    const listing = execFileSync('tar', ['-tv', '--full-time', '--xattrs', '-f', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(listing).toMatch(/^drwxr-xr-x\* .* x\/$/m);
    expect(listing).toMatch(new RegExp(`^-rw------- .* 4 1970-01-01 00:00:42 ${longName}$`, 'm'));
    expect(listing).toMatch(/^crw-r----- .* 1,\s*3 .*dev$/m);
    expect(listing).toMatch(/^c--------- .* 0,\s*0 .*wh$/m);
    const content = execFileSync('tar', ['-x', '-O', '-f', file, longName], { encoding: 'utf8' });
    expect(content).toBe('data');
  });
});

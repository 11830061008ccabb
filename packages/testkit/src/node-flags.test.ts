import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFlagsOf } from './node-flags.js';
import { AGENT_MAIN, CONTROLPLANE_MAIN } from './repo-paths.js';

describe('nodeFlagsOf', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-node-flags-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const flagsOf = async (firstLine: string): Promise<string[]> => {
    const file = join(dir, 'main.js');
    await writeFile(file, `${firstLine}\nconsole.log(1);\n`);
    return nodeFlagsOf(file);
  };

  it('reads the flags of an env -S shebang, and none from a plain one', async () => {
    expect(await flagsOf('#!/usr/bin/env -S node --max-semi-space-size=1 --stack-size=2000')).toEqual(['--max-semi-space-size=1', '--stack-size=2000']);
    expect(await flagsOf('#!/usr/bin/env node')).toEqual([]);
    expect(await flagsOf('// no shebang')).toEqual([]);
  });

  it("the built agent and control plane ask for their young-generation size", () => {
    expect(nodeFlagsOf(AGENT_MAIN)).toEqual(expect.arrayContaining(['--max-semi-space-size=1', '--optimize-for-size']));
    expect(nodeFlagsOf(CONTROLPLANE_MAIN)).toEqual(['--max-semi-space-size=4']);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeEnvOf, nodeFlagsOf } from './node-flags.js';
import { AGENT_MAIN } from './repo-paths.js';

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

  it('reads the variables an env -S shebang sets before node', async () => {
    const file = join(dir, 'env.js');
    await writeFile(file, '#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 A_B=x=y node --stack-size=2000\n');
    expect(nodeFlagsOf(file)).toEqual(['--stack-size=2000']);
    expect(nodeEnvOf(file)).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072', A_B: 'x=y' });
    await writeFile(file, '#!/usr/bin/env -S node --stack-size=2000\n');
    expect(nodeEnvOf(file)).toEqual({});
  });

  it("the built agent asks for its young-generation size", () => {
    expect(nodeFlagsOf(AGENT_MAIN)).toEqual(expect.arrayContaining(['--max-semi-space-size=1', '--optimize-for-size']));
    expect(nodeEnvOf(AGENT_MAIN)).toMatchObject({ MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' });
  });
});

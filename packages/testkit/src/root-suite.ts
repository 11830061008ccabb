// Suites that need root (real mounts, runc, network namespaces) skip on a
// developer's unprivileged machine, but never silently in CI: under CI=true a
// missing privilege or tool fails the run instead, so a capability's proof
// cannot vanish from the test count.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RootRequirement {
  /** Binaries that must be on PATH (e.g. `runc`, `nft`). */
  readonly commands?: readonly string[];
  /** Files that must exist (e.g. `/bin/busybox`). */
  readonly files?: readonly string[];
}

/** Why a root-only suite cannot run here, or undefined when it can. */
export function rootSuiteBlocker(requirement: RootRequirement = {}): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root';
  for (const command of requirement.commands ?? []) {
    if (spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0) return `${command} is not installed`;
  }
  for (const file of requirement.files ?? []) if (!existsSync(file)) return `${file} does not exist`;
  return undefined;
}

/**
 * True when the suite must be skipped (not root, or a tool is missing) on a
 * developer machine; throws under CI, where every suite must run.
 * Use as `describe.skipIf(skipUnlessRoot({ commands: ['runc'] }))(…)`.
 */
export function skipUnlessRoot(requirement: RootRequirement = {}, env: NodeJS.ProcessEnv = process.env): boolean {
  const blocker = rootSuiteBlocker(requirement);
  if (blocker === undefined) return false;
  if (env.CI === 'true' || env.CI === '1') {
    throw new Error(`this suite cannot run (${blocker}) and CI=${env.CI} forbids skipping it; run the tests as root with the packages .ci/run installs`);
  }
  return true;
}

// The Node flags a program asks for on its first line (`#!/usr/bin/env -S node
// FLAGS`, e.g. the agent's heap sizing): tests start programs with
// `node FILE`, which skips that line, so they pass the flags themselves, as
// deploy/install.sh's wrappers do.
import { readFileSync } from 'node:fs';

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: +-[^\s]+)*) *$/;

export function nodeFlagsOf(mainFile: string): string[] {
  const firstLine = readFileSync(mainFile, 'utf8').split('\n', 1)[0] ?? '';
  return (SHEBANG.exec(firstLine)?.[1] ?? '').split(' ').filter(Boolean);
}

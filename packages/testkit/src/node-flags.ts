// The Node flags a program asks for on its first line (`#!/usr/bin/env -S
// [NAME=VALUE…] node FLAGS`, e.g. the agent's heap sizing and malloc
// thresholds): tests start programs with `node FILE`, which skips that line,
// so they pass the variables and flags themselves, as deploy/install.sh's
// wrappers do.
import { readFileSync } from 'node:fs';

const SHEBANG = /^#!\/usr\/bin\/env -S((?: +[A-Za-z_][A-Za-z0-9_]*=[^\s]*)*) +node((?: +-[^\s]+)*) *$/;

function shebangOf(mainFile: string): RegExpExecArray | null {
  return SHEBANG.exec(readFileSync(mainFile, 'utf8').split('\n', 1)[0] ?? '');
}

export function nodeFlagsOf(mainFile: string): string[] {
  return (shebangOf(mainFile)?.[2] ?? '').split(' ').filter(Boolean);
}

/** The environment variables the first line sets before node (`env -S NAME=VALUE … node`). */
export function nodeEnvOf(mainFile: string): Record<string, string> {
  const assignments = (shebangOf(mainFile)?.[1] ?? '').split(' ').filter(Boolean);
  return Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

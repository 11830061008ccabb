// The import graph of the packages' source, read with TypeScript's own
// pre-processor (every `import`, `import type`, `export … from` and dynamic
// `import()`), for the architecture checks. Tests and generated code are left out.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Repo-relative path, e.g. packages/controlplane/src/api/apply-plan.ts. */
  readonly path: string;
  /** Repo-relative paths of the project files it imports. */
  readonly localImports: readonly string[];
  /** Bare specifiers it imports (packages, node: built-ins). */
  readonly packageImports: readonly string[];
}

const isSource = (name: string): boolean => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' || name === 'node_modules' || name === 'dist' ? [] : walk(path);
    return isSource(name) ? [path] : [];
  });
}

function resolveLocal(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** Every source file under `<repo>/packages/*\/src`, with what it imports. */
export function readImportGraph(repoRoot: string): SourceFile[] {
  const packagesDir = join(repoRoot, 'packages');
  const files = readdirSync(packagesDir).flatMap((pkg) => {
    const src = join(packagesDir, pkg, 'src');
    return existsSync(src) ? walk(src) : [];
  });
  return files.map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const localImports: string[] = [];
    const packageImports: string[] = [];
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolveLocal(file, fileName);
        // A relative import that resolves to nothing fails the build already, or
        // points into generated code, which these checks do not police.
        if (target) localImports.push(relative(repoRoot, target));
      } else {
        packageImports.push(fileName);
      }
    }
    return { path: relative(repoRoot, file), localImports, packageImports };
  });
}

/** The import cycles among `files`, each as the list of its members (Tarjan's strongly connected components). */
export function findCycles(files: readonly SourceFile[]): string[][] {
  const edges = new Map(files.map((f) => [f.path, f.localImports] as const));
  const index = new Map<string, number>();
  const lowlink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    lowlink.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowlink.set(node, Math.min(lowlink.get(node)!, lowlink.get(next)!));
      } else if (onStack.has(next)) {
        lowlink.set(node, Math.min(lowlink.get(node)!, index.get(next)!));
      }
    }
    if (lowlink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (edges.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file.path)) visit(file.path);
  return cycles;
}

// Reads manifests the way kubectl does: files, directories (their .yaml, .yml
// and .json files, sorted), or "-" for standard input; multi-document YAML;
// `kind: List` expanded into its items. Every syntax problem is reported with
// its file, document and line before anything is sent.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, type ScalarTag } from 'yaml';
import { CliError } from '../errors.js';

export interface ManifestDocument {
  /** "app.yaml, document 2" — how errors name this document. */
  readonly where: string;
  readonly object: unknown;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
/** Guards against alias bombs ("billion laughs"): real manifests use few aliases. */
const MAX_ALIASES = 100;

/**
 * `mode: 0400` is octal to kubectl (its YAML is 1.1), as every Kubernetes
 * manifest's defaultMode means it; YAML 1.2 would read 400 in decimal (0620).
 */
const YAML_11_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  identify: () => false,
  test: /^0[0-7]+$/,
  resolve: (text: string) => parseInt(text, 8),
};

export async function loadManifests(
  paths: readonly string[],
  options: { recursive: boolean; readStdin: () => Promise<string> },
): Promise<ManifestDocument[]> {
  if (paths.length === 0) throw new CliError('error: must specify one of -f or --filename (a file, a directory or - for stdin)');
  const sources: { name: string; text: string }[] = [];
  for (const path of paths) {
    if (path === '-') sources.push({ name: 'stdin', text: await options.readStdin() });
    else for (const file of await expandPath(path, options.recursive)) sources.push({ name: file, text: await readFile(file, 'utf8') });
  }
  const documents: ManifestDocument[] = [];
  const problems: string[] = [];
  for (const source of sources) parseSource(source.name, source.text, documents, problems);
  if (problems.length > 0) throw new CliError(`error: nothing was applied; fix these first:\n  ${problems.join('\n  ')}`);
  if (documents.length === 0) throw new CliError(`error: no objects passed to the command (${paths.join(', ')} holds no manifests)`);
  return documents;
}

async function expandPath(path: string, recursive: boolean): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`error: the path "${path}" does not exist`);
  }
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isDirectory() && recursive) files.push(...(await expandPath(child, true)));
    else if (entry.isFile() && MANIFEST_FILE.test(entry.name)) files.push(child);
  }
  return files;
}

function parseSource(name: string, text: string, documents: ManifestDocument[], problems: string[]): void {
  const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, customTags: (tags) => [YAML_11_OCTAL, ...tags] });
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((document, index) => {
    const where = `${name}, document ${index + 1}`;
    if (document.errors.length > 0) {
      for (const error of document.errors) problems.push(`${where}: YAML syntax error: ${oneLine(error.message)}`);
      return;
    }
    let object: unknown;
    try {
      object = document.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      problems.push(`${where}: ${oneLine((error as Error).message)}`);
      return;
    }
    if (object === null || object === undefined) return; // an empty document, e.g. after a trailing "---"
    if (isList(object)) {
      object.items.forEach((item, i) => documents.push({ where: `${where}, items[${i}]`, object: item }));
      return;
    }
    documents.push({ where, object });
  });
}

function isList(object: unknown): object is { items: unknown[] } {
  const record = object as { kind?: unknown; items?: unknown };
  return typeof object === 'object' && record.kind === 'List' && Array.isArray(record.items);
}

function oneLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

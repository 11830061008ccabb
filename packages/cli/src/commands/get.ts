// ctl get KIND [NAME...] | KIND/NAME... with -n, -A, -l, -o, -w and --chunk-size.
import type { KindInfo, ResourceObject } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseOutputFormat, renderObjects } from '../output/render-objects.js';
import { parseObjectArgs } from './object-args.js';
import { watchObjects } from './watch-objects.js';

interface GetOptions {
  namespace: string;
  allNamespaces: boolean;
  output?: string;
  selector?: string;
  watch: boolean;
  chunkSize: string;
}

export function registerGet(program: Command, context: CliContext): void {
  program
    .command('get')
    .description('list objects, or show some by name (kinds: all, pods|po, deployments|deploy, replicasets|rs, jobs, cronjobs|cj, services|svc, configmaps|cm, secrets, namespaces|ns, nodes|no, events|ev)')
    .argument('<kind-or-kind/name...>', 'KIND [NAME...] or KIND/NAME...')
    .option('-n, --namespace <namespace>', "namespace to look in (default: the context's, else default)")
    .option('-A, --all-namespaces', 'list across all namespaces', false)
    .option('-o, --output <format>', 'wide, yaml, json or name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('-w, --watch', 'after listing, keep printing changes', false)
    .option('--chunk-size <n>', 'read lists in pages of this many objects, one consistent snapshot (0: in one request)', '500')
    .action(async (args: string[], flags: GetOptions) => {
      const options = { ...flags, namespace: flags.namespace ?? context.defaultNamespace() };
      const format = parseOutputFormat(options.output);
      const groups = parseObjectArgs(args);
      const structured = format === 'json' || format === 'yaml';
      // Several kinds (KIND/NAME...), as kubectl prints them: one List, or
      // tables of kind/name rows a blank line apart.
      const withKind = groups.length > 1;
      const all = args.length === 1 && args[0]?.trim().toLowerCase() === 'all';
      if (all && options.watch) throw new CliError('error: --watch works on one kind; name it (e.g. "ctl get pods -w")');
      const listed: ResourceObject[] = [];
      let printed = false;
      for (const { info, names } of groups) {
        if (names.length > 0 && (options.selector || options.watch)) {
          throw new CliError('error: --selector and --watch work on lists; name no objects, or drop the flag');
        }
        const objects = names.length > 0 ? await getNamed(context, info, names, options.namespace) : await list(context, info, options);
        const withNamespace = options.allNamespaces && info.namespaced;
        if (withKind && structured) {
          listed.push(...objects.items);
        } else if (objects.items.length === 0 && names.length === 0 && !structured) {
          // `get all` says it once, at the end, if every kind was empty.
          if (!options.watch && !all) context.stderr.write(`${noResources(info, options)}\n`);
        } else {
          const text = renderObjects(info, objects.items, { format, withNamespace, withKind, single: names.length === 1, now: context.now() });
          context.stdout.write(printed && (format === 'table' || format === 'wide') ? `\n${text}` : text);
          printed = true;
        }
        if (options.watch) {
          await watchObjects(context, info, query(info, options), objects.resourceVersion, { format, withNamespace });
        }
      }
      if (all && !printed && !structured) context.stderr.write(`${noResources(groups[0]!.info, options)}\n`);
      const [first] = groups;
      if (withKind && structured && first) {
        context.stdout.write(renderObjects(first.info, listed, { format, withNamespace: false, single: false }));
      }
    });
}

function query(info: KindInfo, options: GetOptions) {
  return {
    kind: info.plural,
    namespace: options.namespace,
    allNamespaces: options.allNamespaces,
    labelSelector: options.selector ?? '',
  };
}

/** The whole list, read in pages of --chunk-size as kubectl does, each at the first page's revision. */
async function list(context: CliContext, info: KindInfo, options: GetOptions): Promise<{ items: ResourceObject[]; resourceVersion: string }> {
  const chunkSize = chunkSizeOf(options.chunkSize);
  const client = context.client();
  if (chunkSize === 0) return client.list(query(info, options));
  const first = await client.list({ ...query(info, options), limit: chunkSize });
  const items = [...first.items];
  for (let token = first.continue; token !== undefined; ) {
    const page = await client.list({ ...query(info, options), limit: chunkSize, continue: token });
    items.push(...page.items);
    token = page.continue;
  }
  return { items, resourceVersion: first.resourceVersion };
}

/** kubectl's --chunk-size: objects per page, 0 for the whole list in one request. */
function chunkSizeOf(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new CliError(`error: --chunk-size must be a whole number of objects (0 for one request), not ${text}`);
  return Number(text);
}

async function getNamed(
  context: CliContext,
  info: KindInfo,
  names: readonly string[],
  namespace: string,
): Promise<{ items: ResourceObject[]; resourceVersion: string }> {
  const items: ResourceObject[] = [];
  for (const name of names) items.push(await context.client().get({ kind: info.plural, namespace, name }));
  return { items, resourceVersion: '' };
}

function noResources(info: KindInfo, options: GetOptions): string {
  if (!info.namespaced || options.allNamespaces) return 'No resources found';
  return `No resources found in ${options.namespace} namespace.`;
}

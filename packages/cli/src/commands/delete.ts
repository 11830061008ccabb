// ctl delete -f FILE | KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all
import { qualifiedName, type KindInfo } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, isNotFound } from '../errors.js';
import { loadManifests } from '../manifests/load-manifests.js';
import { parseObjectArgs, requireKindArg } from './object-args.js';

interface DeleteOptions {
  filename?: string[];
  recursive: boolean;
  namespace: string;
  selector?: string;
  all: boolean;
  ignoreNotFound: boolean;
}

interface Target {
  readonly info: KindInfo;
  readonly namespace: string;
  readonly name: string;
}

export function registerDelete(program: Command, context: CliContext): void {
  program
    .command('delete')
    .description('delete objects named in manifests, by name, or by label selector')
    .argument('[kind-or-kind/name...]', 'KIND NAME... or KIND/NAME... (or -f)')
    .option('-f, --filename <path...>', 'delete the objects these manifests describe')
    .option('-R, --recursive', 'descend into sub-directories of -f directories', false)
    .option('-n, --namespace <namespace>', "namespace of the objects (default: the context's, else default)")
    .option('-l, --selector <selector>', 'delete every object of KIND matching this label selector')
    .option('--all', 'delete every object of KIND in the namespace', false)
    .option('--ignore-not-found', 'treat objects that do not exist as deleted', false)
    .action(async (args: string[], flags: Omit<DeleteOptions, 'namespace'> & { namespace?: string }) => {
      const options = { ...flags, namespace: flags.namespace ?? context.defaultNamespace() };
      const targets = options.filename ? await fromManifests(context, options) : await fromArgs(context, args, options);
      let failed = 0;
      for (const target of targets) {
        try {
          await context.client().delete({ kind: target.info.plural, namespace: target.namespace, name: target.name });
          context.stdout.write(`${qualifiedName(target.info, target.name).replace('/', ' "')}" deleted\n`);
        } catch (error) {
          if (options.ignoreNotFound && isNotFound(error)) continue;
          failed++;
          context.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
      if (failed > 0) throw new CliError(`error: ${failed} of ${targets.length} objects were not deleted`);
    });
}

async function fromManifests(context: CliContext, options: DeleteOptions): Promise<Target[]> {
  const documents = await loadManifests(options.filename ?? [], { recursive: options.recursive, readStdin: context.readStdin });
  return documents.map(({ where, object }) => {
    const record = object as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (typeof record?.kind !== 'string' || typeof record.metadata?.name !== 'string') {
      throw new CliError(`error: ${where}: needs kind and metadata.name to say what to delete`);
    }
    const namespace = typeof record.metadata.namespace === 'string' ? record.metadata.namespace : options.namespace;
    return { info: requireKindArg(record.kind), namespace, name: record.metadata.name };
  });
}

async function fromArgs(context: CliContext, args: readonly string[], options: DeleteOptions): Promise<Target[]> {
  const namespace = options.namespace;
  const targets: Target[] = [];
  for (const { info, names } of parseObjectArgs(args)) {
    if (names.length > 0) {
      if (options.selector || options.all) throw new CliError('error: name objects or use --selector/--all, not both');
      targets.push(...names.map((name) => ({ info, namespace, name })));
      continue;
    }
    if (!options.selector && !options.all) {
      throw new CliError(`error: resource(s) were provided, but no name was specified; name them, or use -l SELECTOR or --all`);
    }
    const { items } = await context.client().list({ kind: info.plural, namespace, allNamespaces: false, labelSelector: options.selector ?? '' });
    targets.push(...items.map((item) => ({ info, namespace: item.metadata.namespace ?? namespace, name: item.metadata.name })));
  }
  return targets;
}

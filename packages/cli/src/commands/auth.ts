// ctl auth can-i VERB RESOURCE[/NAME]: asks the control plane whether the
// caller (or, with --as, another user) may do something. Prints "yes", or "no"
// with the server's reason, and exits 0 or 1, as kubectl does.
import { resolveKind, type KindInfo } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, QuietFailure } from '../errors.js';

interface CanIOptions {
  namespace?: string;
  allNamespaces: boolean;
  subresource?: string;
  quiet: boolean;
  as?: string;
  asGroup: string[];
}

export function registerAuth(program: Command, context: CliContext): void {
  const auth = program.command('auth').description('inspect authorization');
  auth
    .command('can-i')
    .description('check whether an action is allowed: prints yes (exit 0) or no (exit 1)')
    .argument('<verb>', 'get, list, watch, create, update, patch, delete, deletecollection, or *')
    .argument('<resource>', 'RESOURCE or RESOURCE/NAME: a kind as ctl get spells it (pods, deploy, deployments.apps) or *')
    .option('-n, --namespace <namespace>', "namespace to ask about (default: the context's, else default)")
    .option('-A, --all-namespaces', 'ask about every namespace at once', false)
    .option('--subresource <name>', 'a subresource such as log (pods/log) or scale (deployments/scale)')
    .option('-q, --quiet', 'print nothing; only the exit code answers', false)
    .option('--as <user>', 'ask for this user instead (needs permission to impersonate)')
    .option('--as-group <group>', 'with --as: a group of that user (repeatable)', (group: string, groups: string[]) => [...groups, group], [])
    .addHelpText(
      'after',
      '\nExamples:\n  ctl auth can-i create deployments -n shop\n  ctl auth can-i get pods --subresource log\n' +
        '  ctl auth can-i delete nodes --as system:node:node-a\n  ctl auth can-i list secrets -A --as system:serviceaccount:ci:deployer\n',
    )
    .action(async (verb: string, resourceArg: string, options: CanIOptions) => {
      if (options.asGroup.length > 0 && !options.as) throw new CliError('error: --as-group needs --as USER: groups are asked about together with a user');
      const slash = resourceArg.indexOf('/');
      const spelling = slash < 0 ? resourceArg : resourceArg.slice(0, slash);
      const name = slash < 0 ? '' : resourceArg.slice(slash + 1);
      const info = spelling === '*' ? undefined : kindFor(spelling, context);
      // A known kind goes as plural.group ("deployments.apps"), as kubectl sends group and resource.
      const plural = spelling === '*' ? '*' : info ? qualifiedResource(info) : spelling.toLowerCase();
      const clusterScoped = info !== undefined && !info.namespaced;
      const namespace = options.allNamespaces || clusterScoped ? '' : (options.namespace ?? context.defaultNamespace());
      const answer = await context.client().canI({
        verb,
        resource: options.subresource ? `${plural}/${options.subresource}` : plural,
        namespace,
        name,
        asUser: options.as ?? '',
        asGroups: options.asGroup,
      });
      if (!options.quiet) context.stdout.write(answer.allowed ? 'yes\n' : `no${answer.reason ? ` - ${answer.reason}` : ''}\n`);
      if (!answer.allowed) throw new QuietFailure();
    });
}

/** The kind `spelling` names ("deploy", "deployments.apps"), warning as kubectl does about one the server lacks. */
function kindFor(spelling: string, context: CliContext): KindInfo | undefined {
  const direct = resolveKind(spelling);
  if (direct) return direct;
  const dot = spelling.indexOf('.');
  const resource = dot < 0 ? spelling : spelling.slice(0, dot);
  const group = dot < 0 ? '' : spelling.slice(dot + 1).toLowerCase();
  const info = resolveKind(resource);
  if (info && group === groupOf(info)) return info;
  context.stderr.write(
    group === ''
      ? `Warning: the server doesn't have a resource type '${resource.toLowerCase()}'\n`
      : `Warning: the server doesn't have a resource type '${resource.toLowerCase()}' in group '${group}'\n`,
  );
  return undefined;
}

function qualifiedResource(info: KindInfo): string {
  const group = groupOf(info);
  return group === '' ? info.plural : `${info.plural}.${group}`;
}

function groupOf(info: KindInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? '' : info.apiVersion.slice(0, slash);
}

// ctl scale deployment/NAME --replicas N (or: scale deployment NAME --replicas N)
import { qualifiedName } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseObjectArgs } from './object-args.js';

export function registerScale(program: Command, context: CliContext): void {
  program
    .command('scale')
    .description('set the number of replicas of a deployment')
    .argument('<kind-or-kind/name...>', 'deployment/NAME or deployment NAME')
    .requiredOption('--replicas <count>', 'the new number of replicas')
    .option('-n, --namespace <namespace>', "namespace of the deployment (default: the context's, else default)")
    .action(async (args: string[], options: { replicas: string; namespace?: string }) => {
      if (!/^\d{1,9}$/.test(options.replicas)) {
        throw new CliError(`error: --replicas must be a whole number from 0 to 999999999, not "${options.replicas}"`);
      }
      const replicas = Number(options.replicas);
      for (const { info, names } of parseObjectArgs(args)) {
        if (names.length === 0) throw new CliError('error: name the object to scale, e.g. ctl scale deployment/web --replicas 3');
        for (const name of names) {
          await context.client().scale({ kind: info.plural, namespace: options.namespace ?? context.defaultNamespace(), name }, replicas);
          context.stdout.write(`${qualifiedName(info, name)} scaled\n`);
        }
      }
    });
}

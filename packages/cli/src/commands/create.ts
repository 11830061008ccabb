// ctl create token SERVICEACCOUNT [-n NS] [--duration 10m]: a bearer token for
// a ServiceAccount, signed by the control plane, printed alone on a line so
// scripts can capture it (a kubeconfig user's `token`).
import type { Command } from 'commander';
import { InvalidError, parseDuration } from '@skiff/api';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { registerCreateJob } from './create-job.js';

export function registerCreate(program: Command, context: CliContext): void {
  const create = program.command('create').description('create an object of a kind that has its own verb (token, job)');
  registerCreateJob(create, context);
  create
    .command('token')
    .description('request a bearer token for a ServiceAccount (use it as a kubeconfig user\'s "token")')
    .argument('<serviceaccount>', 'ServiceAccount name (or serviceaccount/NAME)')
    .option('-n, --namespace <namespace>', "namespace of the ServiceAccount (default: the context's, else default)")
    .option('--duration <duration>', 'requested lifetime, e.g. 10m or 1h; 0 or unset: the server decides (it may also shorten it)', '0')
    .option('--audience <audience>', 'an intended audience of the token (repeatable); unset: the cluster\'s own API', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action(async (account: string, options: { namespace?: string; duration: string; audience: string[] }) => {
      const milliseconds = durationOf(options.duration);
      if (milliseconds % 1000 !== 0) throw new CliError(`error: --duration must be a whole number of seconds, not ${options.duration}`);
      const name = account.replace(/^(serviceaccounts?|sa)\//, '');
      const namespace = options.namespace ?? context.defaultNamespace();
      const answer = await context.client().createToken(namespace, name, milliseconds / 1000, options.audience);
      context.stdout.write(`${answer.token}\n`);
    });
}

function durationOf(text: string): number {
  try {
    return parseDuration(text, '--duration');
  } catch (error) {
    if (error instanceof InvalidError) throw new CliError(`error: ${error.message}`);
    throw error;
  }
}

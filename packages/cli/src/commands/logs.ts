// ctl logs POD [-c CONTAINER] [-f] [--tail N] [--timestamps] [--since 5m]
// [--previous]: relayed by the control plane from the agent that runs the pod.
import { parseDuration } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

interface LogsOptions {
  container?: string;
  follow: boolean;
  tail: string;
  timestamps: boolean;
  since?: string;
  previous: boolean;
  namespace?: string;
}

export function registerLogs(program: Command, context: CliContext): void {
  program
    .command('logs')
    .description("print a container's output")
    .argument('<pod>', 'pod name (or pod/NAME)')
    .option('-c, --container <name>', 'container name (needed when the pod has several)')
    .option('-f, --follow', 'keep streaming new output until the container stops', false)
    .option('--tail <lines>', 'only the last N lines (-1: all)', '-1')
    .option('--timestamps', 'print the RFC3339Nano time each line was written first', false)
    .option('--since <duration>', 'only lines newer than this, e.g. 5s, 2m, 3h')
    .option('-p, --previous', 'the previous terminated container of that name (after a restart)', false)
    .option('-n, --namespace <namespace>', "namespace of the pod (default: the context's, else default)")
    .action(async (podArg: string, options: LogsOptions) => {
      const pod = podArg.replace(/^(pods?|po)\//, '');
      if (!/^-?\d+$/.test(options.tail)) throw new CliError(`error: --tail must be a whole number, not "${options.tail}"`);
      const tail = Math.max(0, Number(options.tail));
      // Whole seconds, rounded up so `--since 500ms` still means "something recent".
      const sinceSeconds = options.since !== undefined ? Math.ceil(parseDuration(options.since, '--since') / 1000) : 0;
      await context.client().logs(
        {
          namespace: options.namespace ?? context.defaultNamespace(),
          pod,
          container: options.container ?? '',
          follow: options.follow,
          tailLines: tail,
          timestamps: options.timestamps,
          sinceSeconds,
          previous: options.previous,
        },
        (data) => context.stdout.write(data),
      );
    });
}

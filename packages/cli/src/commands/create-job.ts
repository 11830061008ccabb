// ctl create job NAME --from=cronjob/X | --image=IMAGE [-- COMMAND...]: as
// kubectl, a Job from a CronJob's jobTemplate (annotated
// cronjob.kubernetes.io/instantiate: manual and owned by the CronJob), or a
// one-container Job (restartPolicy Never). The server generates its selector.
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { BATCH_API_VERSION, jobFromCronJob, kindInfo, type CronJob, type Job } from '@skiff/api';
import type { CliContext } from '../context.js';
import { CliError, ServerError } from '../errors.js';

interface CreateJobOptions {
  namespace?: string;
  from?: string;
  image?: string;
  dryRun?: string;
}

export function registerCreateJob(create: Command, context: CliContext): void {
  create
    .command('job')
    .description('create a Job: from a CronJob\'s template (--from=cronjob/NAME) or running one image (--image)')
    .argument('<name>', 'the Job\'s name')
    .argument('[command...]', 'with --image: the command to run (after --)')
    .option('-n, --namespace <namespace>', "namespace of the Job (default: the context's, else default)")
    .option('--from <cronjob>', 'cronjob/NAME whose jobTemplate to instantiate')
    .option('--image <image>', 'the image of the Job\'s one container')
    .option('--dry-run <mode>', "'server' or 'client': print what would be created, change nothing")
    .action(async (name: string, command: string[], options: CreateJobOptions) => {
      if ((options.from === undefined) === (options.image === undefined)) throw new CliError('error: either --from or --image must be specified (and not both)');
      const namespace = options.namespace ?? context.defaultNamespace();
      let job: Job;
      if (options.from !== undefined) {
        const match = /^(cronjobs?|cj|cronjob\.batch)\/(.+)$/.exec(options.from);
        if (!match?.[2]) throw new CliError(`error: from must be an existing cronjob, e.g. --from=cronjob/${name} (not ${JSON.stringify(options.from)})`);
        if (command.length > 0) throw new CliError('error: cannot specify --from and command');
        const cronJob = (await context.client().get({ kind: 'cronjobs', namespace, name: match[2] })) as CronJob;
        job = jobFromCronJob(cronJob, { name });
      } else {
        job = {
          apiVersion: BATCH_API_VERSION,
          kind: 'Job',
          metadata: { name, namespace },
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name, image: options.image!, ...(command.length > 0 ? { command } : {}) }],
              },
            },
          } as Job['spec'],
        };
      }
      const dryRun = options.dryRun !== undefined && options.dryRun !== 'none';
      // kubectl create refuses an existing name; apply would update it.
      const existing = await context
        .client()
        .get({ kind: 'jobs', namespace, name })
        .catch((error: unknown) => {
          if (error instanceof ServerError && error.code === status.NOT_FOUND) return undefined;
          throw error;
        });
      if (existing) throw new CliError(`Error from server (AlreadyExists): jobs.batch "${name}" already exists`);
      const answer = await context.client().apply(job, { strict: false, dryRun });
      for (const warning of answer.warnings) context.stderr.write(`Warning: ${warning}\n`);
      context.stdout.write(`${kindInfo('Job').kind.toLowerCase()}.batch/${name} created${dryRun ? ` (${options.dryRun === 'client' ? 'dry run' : 'server dry run'})` : ''}\n`);
    });
}

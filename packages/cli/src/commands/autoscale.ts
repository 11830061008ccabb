// ctl autoscale deployment NAME --max M [--min N] [--cpu-percent P] [--name H]:
// kubectl's way to create a HorizontalPodAutoscaler for a Deployment or a
// ReplicaSet. Without --min the server's default (1) applies, without
// --cpu-percent its default metric (80 % CPU).
import { AUTOSCALING_API_VERSION, kindInfo, qualifiedName, type HorizontalPodAutoscaler } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, isNotFound } from '../errors.js';
import { parseObjectArgs } from './object-args.js';

const HPA = kindInfo('HorizontalPodAutoscaler');

interface AutoscaleOptions {
  min?: string;
  max?: string;
  cpuPercent?: string;
  name?: string;
  namespace?: string;
}

export function registerAutoscale(program: Command, context: CliContext): void {
  program
    .command('autoscale')
    .description('create a HorizontalPodAutoscaler that scales a deployment (or replica set) between --min and --max to hold --cpu-percent')
    .argument('<kind-or-kind/name...>', 'deployment/NAME or deployment NAME')
    .option('--min <pods>', 'lower limit of the number of pods (default: 1, the server\'s)')
    .option('--max <pods>', 'upper limit of the number of pods (required)')
    .option('--cpu-percent <percent>', 'target average CPU utilization over all pods, in percent of their requests (default: 80, the server\'s)')
    .option('--name <name>', 'name of the HorizontalPodAutoscaler (default: the target\'s)')
    .option('-n, --namespace <namespace>', "namespace of the target (default: the context's, else default)")
    .action(async (args: string[], options: AutoscaleOptions) => {
      const max = wholeNumber(options.max, '--max');
      const min = wholeNumber(options.min, '--min');
      const cpu = wholeNumber(options.cpuPercent, '--cpu-percent');
      if (max === undefined || max < 1) throw new CliError(`error: --max=MAXPODS is required and must be at least 1, max: ${options.max ?? -1}`);
      if (min !== undefined && min > max) throw new CliError(`error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
      const targets = parseObjectArgs(args).flatMap(({ info, names }) => names.map((name) => ({ info, name })));
      if (targets.length !== 1) throw new CliError('error: name one object to autoscale, e.g. ctl autoscale deployment web --max 5');
      const [{ info, name: targetName }] = targets as [(typeof targets)[number]];
      if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') {
        throw new CliError(`error: cannot autoscale a ${info.kind}: only deployments and replica sets have a scale subresource`);
      }
      const namespace = options.namespace ?? context.defaultNamespace();
      const client = context.client();
      // As kubectl: the target must exist (its NotFound is the server's).
      await client.get({ kind: info.plural, namespace, name: targetName });
      const name = options.name ?? targetName;
      // kubectl's autoscale creates, and refuses to replace an autoscaler.
      const existing = await client.get({ kind: HPA.plural, namespace, name }).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (existing) throw new CliError(`Error from server (AlreadyExists): ${HPA.plural}.autoscaling "${name}" already exists`);
      const hpa: HorizontalPodAutoscaler = {
        apiVersion: AUTOSCALING_API_VERSION,
        kind: 'HorizontalPodAutoscaler',
        metadata: { name, namespace },
        spec: {
          scaleTargetRef: { apiVersion: info.apiVersion, kind: info.kind, name: targetName },
          maxReplicas: max,
          ...(min === undefined ? {} : { minReplicas: min }),
          ...(cpu === undefined ? {} : { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }] }),
        } as HorizontalPodAutoscaler['spec'],
      };
      const answer = await client.apply(hpa, { strict: true, dryRun: false });
      context.stdout.write(`${qualifiedName(HPA, answer.object.metadata.name)} autoscaled\n`);
    });
}

/** A flag's whole number; undefined when not given (kubectl's -1). */
function wholeNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined || text === '-1') return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new CliError(`error: ${flag} must be a whole number, not "${text}"`);
  return Number(text);
}

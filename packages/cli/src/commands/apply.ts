// ctl apply -f FILE|DIR|- : validate everything locally, then create or update
// each object in order, printing kubectl's "deployment.apps/web configured".
import { status } from '@grpc/grpc-js';
import { qualifiedName } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, ServerError } from '../errors.js';
import { loadManifests } from '../manifests/load-manifests.js';
import { prepareManifests } from '../manifests/prepare-manifests.js';

interface ApplyOptions {
  filename: string[];
  recursive: boolean;
  namespace?: string;
  strict: boolean;
  dryRun: 'none' | 'client' | 'server';
}

export function registerApply(program: Command, context: CliContext): void {
  program
    .command('apply')
    .description('create or update objects from manifests (files, directories or - for stdin)')
    .requiredOption('-f, --filename <path...>', 'manifest file, directory or - for standard input (repeatable)')
    .option('-R, --recursive', 'descend into sub-directories of -f directories', false)
    .option('-n, --namespace <namespace>', "namespace for objects that do not name one (default: the context's)")
    .option('--strict', 'treat unknown fields as errors instead of warnings', false)
    .option('--dry-run <mode>', 'none, client (validate locally) or server (validate and default on the server)', 'none')
    .action(async (options: ApplyOptions) => {
      if (!['none', 'client', 'server'].includes(options.dryRun)) {
        throw new CliError(`error: --dry-run must be none, client or server, not "${options.dryRun}"`);
      }
      const documents = await loadManifests(options.filename, { recursive: options.recursive, readStdin: context.readStdin });
      // A client dry run needs no server, so it does not read the kubeconfig either.
      const defaultNamespace = options.dryRun === 'client' ? undefined : context.defaultNamespace();
      const prepared = prepareManifests(documents, { namespace: options.namespace, defaultNamespace, strict: options.strict });
      const suffix = options.dryRun === 'none' ? '' : ` (${options.dryRun} dry run)`;
      if (options.dryRun === 'client') {
        for (const item of prepared) context.stdout.write(`${qualifiedName(item.info, item.manifest.metadata.name)} valid${suffix}\n`);
        return;
      }
      const failures: string[] = [];
      for (const item of prepared) {
        try {
          const answer = await context.client().apply(item.manifest, { strict: options.strict, dryRun: options.dryRun === 'server' });
          for (const warning of answer.warnings) context.stderr.write(`Warning: ${item.where}: ${warning}\n`);
          context.stdout.write(`${qualifiedName(item.info, answer.object.metadata.name)} ${answer.outcome}${suffix}\n`);
        } catch (error) {
          if (error instanceof ServerError && error.code === status.UNAVAILABLE) throw error;
          // Like kubectl: report, carry on with the rest, and fail at the end.
          const message = error instanceof Error ? error.message : String(error);
          failures.push(`${item.where}: ${message}`);
          context.stderr.write(`${message}\n`);
        }
      }
      if (failures.length > 0) throw new CliError(`error: ${failures.length} of ${prepared.length} objects were not applied`);
    });
}

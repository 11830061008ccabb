// ctl config view | get-contexts | current-context | use-context: the
// kubeconfig ctl reads (--kubeconfig, SKIFF_CONFIG, KUBECONFIG, ~/.skiff/config),
// shown and switched as kubectl does it.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { configOrEmpty, writeCurrentContext } from '../kubeconfig/kubeconfig-file.js';
import { renderViewJson, renderViewYaml, viewKubeconfig } from '../kubeconfig/kubeconfig-view.js';
import { renderTable } from '../output/table.js';

export function registerConfig(program: Command, context: CliContext): void {
  const config = program
    .command('config')
    .description('show or switch kubeconfig contexts (the file: --kubeconfig, else SKIFF_CONFIG, the first file of KUBECONFIG, ~/.skiff/config)');

  config
    .command('view')
    .description('print the kubeconfig, certificate and key data and tokens hidden unless --raw')
    .option('--raw', 'show certificate and key data and tokens as they are', false)
    .option('--minify', 'only what the current context (or --context) uses', false)
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .action((options: { raw: boolean; minify: boolean; output: string }) => {
      if (options.output !== 'yaml' && options.output !== 'json') {
        throw new CliError(`error: --output must be yaml or json, not "${options.output}"`);
      }
      const file = context.kubeconfig();
      const minifyTo = options.minify ? (context.flags.context ?? '') : undefined;
      const shown = viewKubeconfig(configOrEmpty(file), file.display, { raw: options.raw, minifyTo });
      context.stdout.write(options.output === 'json' ? renderViewJson(shown) : renderViewYaml(shown));
    });

  config
    .command('get-contexts')
    .description('list the contexts, * marking the current one')
    .argument('[name...]', 'only these contexts')
    .option('-o, --output <format>', 'name: print only the names')
    .action((names: string[], options: { output?: string }) => {
      if (options.output !== undefined && options.output !== 'name') throw new CliError(`error: --output must be name, not "${options.output}"`);
      const kubeconfig = configOrEmpty(context.kubeconfig());
      const contexts = [...kubeconfig.contexts].sort((a, b) => a.name.localeCompare(b.name)).filter((c) => names.length === 0 || names.includes(c.name));
      if (options.output === 'name') {
        context.stdout.write(contexts.map((c) => `${c.name}\n`).join(''));
      } else {
        const rows = contexts.map((c) => [
          c.name === kubeconfig['current-context'] ? '*' : '',
          c.name,
          c.context.cluster,
          c.context.user,
          c.context.namespace ?? '',
        ]);
        context.stdout.write(renderTable(['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'], rows));
      }
      const missing = names.filter((name) => !contexts.some((c) => c.name === name));
      if (missing.length > 0) throw new CliError(missing.map((name) => `error: context ${name} not found`).join('\n'));
    });

  config
    .command('current-context')
    .description('print the name of the current context')
    .action(() => {
      const current = configOrEmpty(context.kubeconfig())['current-context'];
      if (current === '') throw new CliError('error: current-context is not set');
      context.stdout.write(`${current}\n`);
    });

  config
    .command('use-context')
    .description("make NAME the current context (rewrites only the file's current-context)")
    .argument('<name>', 'a context in the kubeconfig')
    .action((name: string) => {
      const file = context.kubeconfig();
      if (!configOrEmpty(file).contexts.some((c) => c.name === name)) throw new CliError(`error: no context exists with the name: "${name}"`);
      writeCurrentContext(file, name);
      context.stdout.write(`Switched to context "${name}".\n`);
    });
}

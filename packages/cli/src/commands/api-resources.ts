// ctl api-resources: the kinds Skiff serves and their short names.
import { KINDS } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderTable } from '../output/table.js';

export function registerApiResources(program: Command, context: CliContext): void {
  program
    .command('api-resources')
    .description('list the resource kinds, their short names and scope')
    .action(() => {
      const rows = KINDS.map((k) => [k.plural, k.shortNames.join(','), k.apiVersion, String(k.namespaced), k.kind]);
      context.stdout.write(renderTable(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows));
    });
}

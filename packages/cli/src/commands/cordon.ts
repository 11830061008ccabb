// ctl cordon NODE / ctl uncordon NODE: stop or resume placing new pods on a node.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerCordon(program: Command, context: CliContext): void {
  for (const [verb, unschedulable] of [
    ['cordon', true],
    ['uncordon', false],
  ] as const) {
    program
      .command(verb)
      .description(unschedulable ? 'mark a node unschedulable (running pods stay)' : 'mark a node schedulable again')
      .argument('<node>', 'node name')
      .action(async (node: string) => {
        const before = await context.client().get({ kind: 'nodes', namespace: '', name: node });
        const was = Boolean((before.spec as { unschedulable?: boolean } | undefined)?.unschedulable);
        await context.client().cordon(node, unschedulable);
        const done = unschedulable ? 'cordoned' : 'uncordoned';
        context.stdout.write(`node/${node} ${was === unschedulable ? `already ${done}` : done}\n`);
      });
  }
}

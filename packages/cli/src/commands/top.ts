// ctl top nodes | ctl top pods [NAME] [-n NS] [-A] [-l SELECTOR] [--containers]:
// the metrics API's PodMetrics and NodeMetrics (metrics.k8s.io/v1beta1), as kubectl top prints them.
import type { Node, NodeMetrics, PodMetrics } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderTopNodes, renderTopPods } from '../output/top-tables.js';

interface TopPodsFlags {
  namespace?: string;
  allNamespaces: boolean;
  selector?: string;
  containers: boolean;
}

export function registerTop(program: Command, context: CliContext): void {
  const top = program.command('top').description('show CPU and memory use of nodes or pods (the metrics API)');
  top
    .command('nodes')
    .alias('node')
    .alias('no')
    .description('CPU and memory use of nodes, and their share of allocatable')
    .argument('[name]', 'one node')
    .option('-l, --selector <selector>', 'label selector, e.g. pool=fast')
    .action(async (name: string | undefined, flags: { selector?: string }) => {
      const client = context.client();
      const nodes = name
        ? [(await client.get({ kind: 'nodes', namespace: '', name })) as Node]
        : ((await client.list({ kind: 'nodes', namespace: '', allNamespaces: false, labelSelector: flags.selector ?? '' })).items as Node[]);
      const metrics = name
        ? [(await client.get({ kind: 'NodeMetrics', namespace: '', name })) as NodeMetrics]
        : ((await client.list({ kind: 'NodeMetrics', namespace: '', allNamespaces: false, labelSelector: flags.selector ?? '' })).items as NodeMetrics[]);
      if (metrics.length === 0) throw new CliError('error: metrics not available yet');
      context.stdout.write(renderTopNodes(nodes, metrics));
    });
  top
    .command('pods')
    .alias('pod')
    .alias('po')
    .description('CPU and memory use of pods (or of their containers)')
    .argument('[name]', 'one pod')
    .option('-n, --namespace <namespace>', "namespace to look in (default: the context's, else default)")
    .option('-A, --all-namespaces', 'across all namespaces', false)
    .option('-l, --selector <selector>', 'label selector, e.g. app=web')
    .option('--containers', 'one line per container', false)
    .action(async (name: string | undefined, flags: TopPodsFlags) => {
      const namespace = flags.namespace ?? context.defaultNamespace();
      if (name && flags.selector) throw new CliError('error: only one of NAME or --selector can be provided');
      const client = context.client();
      const pods = name
        ? [(await client.get({ kind: 'PodMetrics', namespace, name })) as PodMetrics]
        : ((await client.list({ kind: 'PodMetrics', namespace, allNamespaces: flags.allNamespaces, labelSelector: flags.selector ?? '' })).items as PodMetrics[]);
      if (pods.length === 0) {
        // As kubectl's verifyEmptyMetrics: pods without metrics are new pods the scraper has not seen yet.
        const existing = await client.list({ kind: 'pods', namespace, allNamespaces: flags.allNamespaces, labelSelector: flags.selector ?? '' });
        if (existing.items.length > 0) throw new CliError('error: metrics not available yet');
        context.stderr.write(flags.allNamespaces ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
        return;
      }
      context.stdout.write(renderTopPods(pods, { withNamespace: flags.allNamespaces, containers: flags.containers }));
    });
}

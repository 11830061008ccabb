// ctl rollout status|history|undo|restart|pause|resume deployment/NAME, as
// kubectl does them: status follows the Deployment until it is rolled out
// (kubectl's messages; non-zero once its progress deadline passed), undo puts
// an earlier ReplicaSet's template back, restart changes the template's
// restartedAt annotation, pause/resume set spec.paused.
import {
  CHANGE_CAUSE_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  kindInfo,
  MAX_REPLICAS_ANNOTATION,
  ownedReplicaSets,
  qualifiedName,
  RESTARTED_AT_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  rolloutStatus,
  daemonSetRolloutStatus,
  templateWithoutHash,
  type DaemonSet,
  type Deployment,
  type ReplicaSet,
} from '@skiff/api';
import type { Command } from 'commander';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { parseDuration, SkiffError } from '@skiff/api';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseObjectArgs } from './object-args.js';
import { updateObject } from './workload-update.js';

const DEPLOYMENT = kindInfo('Deployment');
/** How often `rollout status` looks at the Deployment. */
const POLL_MS = 250;
/** Annotations of a ReplicaSet that `undo` does not copy back onto the Deployment. */
const NOT_ROLLED_BACK = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
]);

interface Flags {
  namespace?: string;
}

/** The deployments named on the command line (only deployments roll). */
function deploymentNames(args: string[], verb: string): string[] {
  const names: string[] = [];
  for (const { info, names: named } of parseObjectArgs(args)) {
    if (info.kind !== 'Deployment') throw new CliError(`error: no ${verb} has been implemented for ${info.kind}; only deployments roll`);
    if (named.length === 0) throw new CliError(`error: name the deployment, e.g. ctl rollout ${verb} deployment/web`);
    names.push(...named);
  }
  return names;
}

/** What `rollout status` follows: deployments and daemon sets (kubectl's status viewers). */
function statusTargets(args: string[]): { kind: 'Deployment' | 'DaemonSet'; name: string }[] {
  const targets: { kind: 'Deployment' | 'DaemonSet'; name: string }[] = [];
  for (const { info, names } of parseObjectArgs(args)) {
    if (info.kind !== 'Deployment' && info.kind !== 'DaemonSet') {
      throw new CliError(`error: no status viewer has been implemented for ${info.kind}; only deployments and daemon sets roll`);
    }
    if (names.length === 0) throw new CliError(`error: name the ${info.kind.toLowerCase()}, e.g. ctl rollout status ${info.kind.toLowerCase()}/web`);
    const kind = info.kind;
    targets.push(...names.map((name) => ({ kind, name })));
  }
  return targets;
}

export function registerRollout(program: Command, context: CliContext): void {
  const rollout = program.command('rollout').description('manage the rollout of a deployment');
  const namespaceOf = (flags: Flags): string => flags.namespace ?? context.defaultNamespace();
  const ns = (command: Command): Command => command.option('-n, --namespace <namespace>', "namespace of the deployment (default: the context's, else default)");

  ns(rollout.command('status').description('follow a rollout until it is done (non-zero exit once its progress deadline passed)'))
    .argument('<deployment...>', 'deployment/NAME, daemonset/NAME, or KIND NAME')
    .option('-w, --watch <bool>', 'keep watching until the rollout is done', 'true')
    .option('--timeout <duration>', 'give up after this long (0: never)', '0s')
    .action(async (args: string[], flags: Flags & { watch: string; timeout: string }) => {
      let timeoutMs: number;
      try {
        timeoutMs = parseDuration(flags.timeout, '--timeout');
      } catch (error) {
        throw error instanceof SkiffError ? new CliError(`error: ${error.message}`) : error;
      }
      for (const { kind, name } of statusTargets(args)) {
        await followRollout(context, namespaceOf(flags), kind, name, flags.watch !== 'false', timeoutMs);
      }
    });

  ns(rollout.command('history').description("list a deployment's revisions"))
    .argument('<deployment...>', 'deployment/NAME or deployment NAME')
    .option('--revision <n>', 'show the pod template of this revision')
    .action(async (args: string[], flags: Flags & { revision?: string }) => {
      for (const name of deploymentNames(args, 'history viewer')) {
        const { deployment, replicaSets } = await loadHistory(context, namespaceOf(flags), name);
        const label = qualifiedName(DEPLOYMENT, deployment.metadata.name);
        if (flags.revision !== undefined && flags.revision !== '0') {
          const wanted = Number(flags.revision);
          const rs = replicaSets.find((r) => revisionOf(r) === wanted);
          if (!rs) throw new CliError(`error: unable to find the specified revision ${flags.revision}`);
          const template = templateWithoutHash(rs.spec.template);
          context.stdout.write(`${label} with revision #${wanted}\nPod Template:\n${indent(stringify(template).trimEnd())}\n`);
          continue;
        }
        const rows = [...replicaSets].sort((a, b) => revisionOf(a) - revisionOf(b)).filter((rs) => revisionOf(rs) > 0);
        const lines = ['REVISION  CHANGE-CAUSE', ...rows.map((rs) => `${String(revisionOf(rs)).padEnd(10)}${rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>'}`)];
        context.stdout.write(`${label} \n${lines.join('\n')}\n\n`);
      }
    });

  ns(rollout.command('undo').description("go back to a previous revision's pod template"))
    .argument('<deployment...>', 'deployment/NAME or deployment NAME')
    .option('--to-revision <n>', 'the revision to go back to (default: the one before the current)', '0')
    .action(async (args: string[], flags: Flags & { toRevision: string }) => {
      const toRevision = Number(flags.toRevision);
      if (!Number.isInteger(toRevision) || toRevision < 0) throw new CliError(`error: --to-revision must be a whole number, not "${flags.toRevision}"`);
      for (const name of deploymentNames(args, 'rollbacker')) {
        const namespace = namespaceOf(flags);
        const result = await updateObject<Deployment>(context, DEPLOYMENT, namespace, name, async (deployment) => {
          const { replicaSets } = await loadHistory(context, namespace, name, deployment);
          const target = revisionToRollBackTo(deployment, replicaSets, toRevision);
          if (deployment.spec.paused === true) {
            throw new CliError(`error: you cannot rollback a paused deployment; resume it first with 'ctl rollout resume deployment/${name}' and try again`);
          }
          const template = templateWithoutHash(target.spec.template);
          if (isDeepStrictEqual(template, templateWithoutHash(deployment.spec.template))) {
            return { skip: `${qualifiedName(DEPLOYMENT, name)} skipped rollback (current template already matches revision ${revisionOf(target)})` };
          }
          const annotations = { ...deployment.metadata.annotations };
          for (const [key, value] of Object.entries(target.metadata.annotations ?? {})) if (!NOT_ROLLED_BACK.has(key)) annotations[key] = value;
          deployment.metadata.annotations = annotations;
          deployment.spec.template = template;
          return { write: deployment };
        });
        context.stdout.write(`${result.skipped ?? `${qualifiedName(DEPLOYMENT, name)} rolled back`}\n`);
      }
    });

  ns(rollout.command('restart').description('replace every pod, by rolling out an unchanged template'))
    .argument('<deployment...>', 'deployment/NAME or deployment NAME')
    .action(async (args: string[], flags: Flags) => {
      for (const name of deploymentNames(args, 'restarter')) {
        await updateObject<Deployment>(context, DEPLOYMENT, namespaceOf(flags), name, (deployment) => {
          if (deployment.spec.paused === true) throw new CliError(`error: deployments.apps "${name}" can't restart paused deployment (run rollout resume first)`);
          const metadata = deployment.spec.template.metadata ?? {};
          metadata.annotations = { ...metadata.annotations, [RESTARTED_AT_ANNOTATION]: context.now().toISOString().replace(/\.\d{3}Z$/, 'Z') };
          deployment.spec.template.metadata = metadata;
          return { write: deployment };
        });
        context.stdout.write(`${qualifiedName(DEPLOYMENT, name)} restarted\n`);
      }
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    ns(rollout.command(verb).description(paused ? 'stop rolling out template changes (scaling still works)' : 'roll out template changes again'))
      .argument('<deployment...>', 'deployment/NAME or deployment NAME')
      .action(async (args: string[], flags: Flags) => {
        for (const name of deploymentNames(args, verb === 'pause' ? 'pauser' : 'resumer')) {
          await updateObject<Deployment>(context, DEPLOYMENT, namespaceOf(flags), name, (deployment) => {
            if ((deployment.spec.paused === true) === paused) throw new CliError(`error: deployments.apps "${name}" is ${paused ? 'already' : 'not'} paused`);
            if (paused) deployment.spec.paused = true;
            else delete deployment.spec.paused;
            return { write: deployment };
          });
          context.stdout.write(`${qualifiedName(DEPLOYMENT, name)} ${paused ? 'paused' : 'resumed'}\n`);
        }
      });
  }
}

async function loadHistory(context: CliContext, namespace: string, name: string, known?: Deployment): Promise<{ deployment: Deployment; replicaSets: ReplicaSet[] }> {
  const deployment = known ?? ((await context.client().get({ kind: 'deployments', namespace, name })) as Deployment);
  const { items } = await context.client().list({ kind: 'replicasets', namespace, allNamespaces: false, labelSelector: '' });
  return { deployment, replicaSets: ownedReplicaSets(deployment, items as ReplicaSet[]) };
}

/** kubectl's choice: revision N, or (N = 0) the highest revision below the latest. */
export function revisionToRollBackTo(deployment: Deployment, replicaSets: readonly ReplicaSet[], toRevision: number): ReplicaSet {
  if (toRevision > 0) {
    const found = replicaSets.find((rs) => revisionOf(rs) === toRevision);
    if (!found) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
    return found;
  }
  const numbered = replicaSets.filter((rs) => revisionOf(rs) > 0).sort((a, b) => revisionOf(b) - revisionOf(a));
  const previous = numbered[1];
  if (!previous) throw new CliError(`error: no rollout history found for deployment "${deployment.metadata.name}"`);
  return previous;
}

async function followRollout(context: CliContext, namespace: string, kind: 'Deployment' | 'DaemonSet', name: string, watch: boolean, timeoutMs: number): Promise<void> {
  const giveUpAt = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  let printed: string | undefined;
  for (;;) {
    const object = await context.client().get({ kind: kindInfo(kind).plural, namespace, name });
    const status = kind === 'DaemonSet' ? daemonSetRolloutStatus(object as DaemonSet) : rolloutStatus(object as Deployment);
    if (status.error) throw new CliError(`error: ${status.error}`);
    if (status.message !== printed) {
      context.stdout.write(`${status.message}\n`);
      printed = status.message;
    }
    if (status.done || !watch) return;
    if (Date.now() >= giveUpAt) throw new CliError('error: timed out waiting for the condition');
    await sleep(POLL_MS);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

// ctl delete -f FILE | KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all
// [--grace-period N] [--force] [--now] [--cascade background|foreground|orphan]
// [--wait=false] [--timeout D], as kubectl: a pod running on a node is deleted
// gracefully (Terminating until its agent has stopped it), dependents go by
// the cascade mode, and ctl waits until each object is gone unless told not to.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration, qualifiedName, type KindInfo, type ResourceObject } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, isNotFound } from '../errors.js';
import { loadManifests } from '../manifests/load-manifests.js';
import { parseObjectArgs, requireKindArg } from './object-args.js';

interface DeleteOptions {
  filename?: string[];
  recursive: boolean;
  namespace: string;
  selector?: string;
  all: boolean;
  ignoreNotFound: boolean;
  gracePeriod: string;
  force: boolean;
  now: boolean;
  cascade: string | boolean;
  wait: boolean;
  timeout: string;
}

/** kubectl's warning for --force --grace-period 0. */
export const IMMEDIATE_DELETION_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';
/** How often --wait looks whether an object is gone. */
const WAIT_POLL_MS = 250;

interface Target {
  readonly info: KindInfo;
  readonly namespace: string;
  readonly name: string;
}

export function registerDelete(program: Command, context: CliContext): void {
  program
    .command('delete')
    .description('delete objects named in manifests, by name, or by label selector')
    .argument('[kind-or-kind/name...]', 'KIND NAME... or KIND/NAME... (or -f)')
    .option('-f, --filename <path...>', 'delete the objects these manifests describe')
    .option('-R, --recursive', 'descend into sub-directories of -f directories', false)
    .option('-n, --namespace <namespace>', "namespace of the objects (default: the context's, else default)")
    .option('-l, --selector <selector>', 'delete every object of KIND matching this label selector')
    .option('--all', 'delete every object of KIND in the namespace', false)
    .option('--ignore-not-found', 'treat objects that do not exist as deleted', false)
    .option('--grace-period <seconds>', "seconds a pod gets between SIGTERM and SIGKILL (-1: the pod's own; 0 only with --force)", '-1')
    .option('--force', 'with --grace-period 0: remove pods at once, without waiting for their node to stop them', false)
    .option('--now', 'stop pods almost at once (--grace-period 1)', false)
    .option(
      '--cascade [mode]',
      'what happens to dependents: background (delete them after the object), foreground (delete them first; the object waits), orphan (leave them)',
      'background',
    )
    .option('--wait [bool]', 'wait until the objects are gone (--wait=false: return once deletion is under way)', parseBool('--wait'), true)
    .option('--timeout <duration>', 'give up waiting after this long (0: no limit)', '0')
    .action(async (args: string[], flags: Omit<DeleteOptions, 'namespace'> & { namespace?: string }) => {
      const options = { ...flags, namespace: flags.namespace ?? context.defaultNamespace() };
      const grace = gracePeriodOf(options);
      const policy = cascadeOf(options.cascade, context);
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const targets = options.filename ? await fromManifests(context, options) : await fromArgs(context, args, options);
      if (grace === 0) context.stderr.write(`${IMMEDIATE_DELETION_WARNING}\n`);
      let failed = 0;
      const deleted: { target: Target; object: ResourceObject }[] = [];
      for (const target of targets) {
        try {
          const object = await context.client().delete(
            { kind: target.info.plural, namespace: target.namespace, name: target.name },
            { ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}), propagationPolicy: policy },
          );
          deleted.push({ target, object });
          context.stdout.write(`${qualifiedName(target.info, target.name).replace('/', ' "')}" ${grace === 0 ? 'force deleted' : 'deleted'}\n`);
        } catch (error) {
          if (options.ignoreNotFound && isNotFound(error)) continue;
          failed++;
          context.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
      if (options.wait) failed += await waitUntilGone(context, deleted, timeoutMs);
      if (failed > 0) throw new CliError(`error: ${failed} of ${targets.length} objects were not deleted`);
    });
}

/** kubectl's boolean flags take `--flag=true|false`. */
function parseBool(flag: string): (value: string) => boolean {
  return (value) => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new CliError(`error: invalid argument "${value}" for "${flag}" flag: use true or false`);
  };
}

/** kubectl's --cascade: background (also a bare --cascade), foreground, orphan; the old booleans with kubectl's warning. */
export function cascadeOf(value: string | boolean, context: Pick<CliContext, 'stderr'>): 'Background' | 'Foreground' | 'Orphan' {
  const text = value === true ? 'background' : String(value);
  switch (text) {
    case 'background':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
      return 'Orphan';
    case 'true':
    case 'false': {
      const replacement = text === 'true' ? 'background' : 'orphan';
      context.stderr.write(`warning: --cascade=${text} is deprecated (boolean value) and can be replaced with --cascade=${replacement}.\n`);
      return text === 'true' ? 'Background' : 'Orphan';
    }
    default:
      throw new CliError(`error: invalid cascade value (${text}). Must be "background", "foreground", or "orphan".`);
  }
}

/** The grace period to ask for, by kubectl's rules; undefined: the object's own. */
export function gracePeriodOf(options: Pick<DeleteOptions, 'gracePeriod' | 'force' | 'now'>): number | undefined {
  const text = options.gracePeriod.trim();
  if (!/^-?\d+$/.test(text)) throw new CliError(`error: --grace-period must be a whole number of seconds, not ${options.gracePeriod}`);
  let grace = Number(text);
  if (options.now) {
    if (grace !== -1) throw new CliError('error: --now and --grace-period cannot be specified together');
    grace = 1;
  }
  // kubectl: 0 without --force would be an accident, so it becomes 1; --force alone means 0.
  if (grace === 0 && !options.force) grace = 1;
  if (options.force && grace < 0) grace = 0;
  return grace < 0 ? undefined : grace;
}

/** Waits until each object (that incarnation: its uid) is gone; answers how many were not in time. */
async function waitUntilGone(context: CliContext, deleted: readonly { target: Target; object: ResourceObject }[], timeoutMs: number): Promise<number> {
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let pending = deleted.filter(({ object }) => object.metadata.deletionTimestamp !== undefined);
  while (pending.length > 0) {
    const still: typeof pending = [];
    for (const entry of pending) {
      const { target, object } = entry;
      try {
        const current = await context.client().get({ kind: target.info.plural, namespace: target.namespace, name: target.name });
        if (current.metadata.uid === object.metadata.uid) still.push(entry);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    pending = still;
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const { target } of pending) context.stderr.write(`error: timed out waiting for the condition on ${target.info.plural}/${target.name}\n`);
      return pending.length;
    }
    await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
  }
  return 0;
}

async function fromManifests(context: CliContext, options: DeleteOptions): Promise<Target[]> {
  const documents = await loadManifests(options.filename ?? [], { recursive: options.recursive, readStdin: context.readStdin });
  return documents.map(({ where, object }) => {
    const record = object as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (typeof record?.kind !== 'string' || typeof record.metadata?.name !== 'string') {
      throw new CliError(`error: ${where}: needs kind and metadata.name to say what to delete`);
    }
    const namespace = typeof record.metadata.namespace === 'string' ? record.metadata.namespace : options.namespace;
    return { info: requireKindArg(record.kind), namespace, name: record.metadata.name };
  });
}

async function fromArgs(context: CliContext, args: readonly string[], options: DeleteOptions): Promise<Target[]> {
  const namespace = options.namespace;
  const targets: Target[] = [];
  for (const { info, names } of parseObjectArgs(args)) {
    if (names.length > 0) {
      if (options.selector || options.all) throw new CliError('error: name objects or use --selector/--all, not both');
      targets.push(...names.map((name) => ({ info, namespace, name })));
      continue;
    }
    if (!options.selector && !options.all) {
      throw new CliError(`error: resource(s) were provided, but no name was specified; name them, or use -l SELECTOR or --all`);
    }
    const { items } = await context.client().list({ kind: info.plural, namespace, allNamespaces: false, labelSelector: options.selector ?? '' });
    targets.push(...items.map((item) => ({ info, namespace: item.metadata.namespace ?? namespace, name: item.metadata.name })));
  }
  return targets;
}

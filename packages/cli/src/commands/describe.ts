// ctl describe KIND NAME: fetch each object and the events that mention it;
// output/describe-object.ts writes the text.
import { ENDPOINT_SLICE_SERVICE_LABEL, ownedReplicaSets, type CronJob, type DaemonSet, type Deployment, type HorizontalPodAutoscaler, type Job, type EndpointSlice, type Event, type KindInfo, type Pod, type ReplicaSet, type ResourceObject, type Service } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { describeObject } from '../output/describe-object.js';
import { hpaSummary } from '../output/describe-hpa.js';
import { describeService } from '../output/describe-service.js';
import { cronJobSummary, jobSummary } from '../output/describe-job.js';
import { daemonSetSummary, deploymentSummary, replicaSetSummary } from '../output/describe-workload.js';
import { parseObjectArgs } from './object-args.js';

export function registerDescribe(program: Command, context: CliContext): void {
  program
    .command('describe')
    .description('show an object in detail, with its events')
    .argument('<kind-or-kind/name...>', 'KIND NAME... or KIND/NAME...')
    .option('-n, --namespace <namespace>', "namespace of the object (default: the context's, else default)")
    .action(async (args: string[], flags: { namespace?: string }) => {
      const options = { namespace: flags.namespace ?? context.defaultNamespace() };
      const blocks: string[] = [];
      for (const { info, names } of parseObjectArgs(args)) {
        const objects =
          names.length > 0
            ? await Promise.all(names.map((name) => context.client().get({ kind: info.plural, namespace: options.namespace, name })))
            : (await context.client().list({ kind: info.plural, namespace: options.namespace, allNamespaces: false, labelSelector: '' })).items;
        if (objects.length === 0) throw new CliError(`No resources found in ${options.namespace} namespace.`);
        for (const object of objects) {
          const events = await eventsAbout(context, info, object);
          if (info.kind === 'Service') {
            const slices = await context.client().list({
              kind: 'endpointslices',
              namespace: object.metadata.namespace ?? options.namespace,
              allNamespaces: false,
              labelSelector: `${ENDPOINT_SLICE_SERVICE_LABEL}=${object.metadata.name}`,
            });
            blocks.push(describeService(object as Service, slices.items as EndpointSlice[], events, context.now()));
          } else if (info.kind === 'Deployment' || info.kind === 'ReplicaSet' || info.kind === 'DaemonSet') {
            const namespace = object.metadata.namespace ?? options.namespace;
            const list = async (kind: string): Promise<ResourceObject[]> =>
              (await context.client().list({ kind, namespace, allNamespaces: false, labelSelector: '' })).items;
            if (info.kind === 'Deployment') {
              const sets = ownedReplicaSets(object as Deployment, (await list('replicasets')) as ReplicaSet[]);
              blocks.push(describeObject(info, object, events, context.now(), deploymentSummary(object as Deployment, sets)));
            } else {
              const pods = ((await list('pods')) as Pod[]).filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === object.metadata.uid));
              const summary = info.kind === 'DaemonSet' ? daemonSetSummary(object as DaemonSet, pods) : replicaSetSummary(object as ReplicaSet, pods);
              blocks.push(describeObject(info, object, events, context.now(), summary));
            }
          } else if (info.kind === 'HorizontalPodAutoscaler') {
            blocks.push(describeObject(info, object, events, context.now(), hpaSummary(object as HorizontalPodAutoscaler)));
          } else if (info.kind === 'Job') {
            const { items } = await context.client().list({ kind: 'pods', namespace: object.metadata.namespace ?? options.namespace, allNamespaces: false, labelSelector: '' });
            const pods = (items as Pod[]).filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === object.metadata.uid));
            blocks.push(describeObject(info, object, events, context.now(), jobSummary(object as Job, pods, context.now())));
          } else if (info.kind === 'CronJob') {
            blocks.push(describeObject(info, object, events, context.now(), cronJobSummary(object as CronJob, context.now())));
          } else {
            blocks.push(describeObject(info, object, events, context.now()));
          }
        }
      }
      context.stdout.write(blocks.join('\n\n'));
    });
}

async function eventsAbout(context: CliContext, info: KindInfo, object: ResourceObject): Promise<Event[]> {
  const namespace = object.metadata.namespace ?? 'default';
  const { items } = await context.client().list({ kind: 'events', namespace, allNamespaces: !info.namespaced, labelSelector: '' });
  return (items as Event[]).filter((event) => eventIsAbout(event, info, object));
}

/** As kubectl matches them: kind and name, and an event that names a uid is about that object only, not an earlier one of the same name. */
export function eventIsAbout(event: Event, info: KindInfo, object: ResourceObject): boolean {
  const about = event.involvedObject;
  const sameUid = about.uid === undefined || object.metadata.uid === undefined || about.uid === object.metadata.uid;
  return about.kind === info.kind && about.name === object.metadata.name && sameUid;
}

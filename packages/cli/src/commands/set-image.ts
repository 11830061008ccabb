// ctl set image KIND/NAME CONTAINER=IMAGE... (`*=IMAGE` for every container):
// the pod template's (or a pod's) container images, written back with
// compare-and-swap. On a Deployment this starts a rollout.
import { qualifiedName, type Container, type Deployment, type Pod, type ReplicaSet, type ResourceObject } from '@skiff/api';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseObjectArgs } from './object-args.js';
import { updateObject } from './workload-update.js';

/** Splits the arguments into objects (KIND/NAME) and CONTAINER=IMAGE pairs. */
export function parseImageArgs(args: readonly string[]): { objects: string[]; images: Map<string, string> } {
  const objects: string[] = [];
  const images = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      objects.push(arg);
      continue;
    }
    const container = arg.slice(0, eq);
    const image = arg.slice(eq + 1);
    if (!container || !image) throw new CliError(`error: "${arg}" is not CONTAINER=IMAGE`);
    images.set(container, image);
  }
  if (images.size === 0) throw new CliError('error: at least one image update is required, e.g. ctl set image deployment/web web=nginx:1.27');
  return { objects, images };
}

/** Sets the images; throws naming a container that is not there. */
export function setImages(containers: Container[], images: ReadonlyMap<string, string>): void {
  for (const [name, image] of images) {
    const matching = name === '*' ? containers : containers.filter((c) => c.name === name);
    if (matching.length === 0) throw new CliError(`error: unable to find container named "${name}"`);
    for (const container of matching) container.image = image;
  }
}

export function registerSetImage(program: Command, context: CliContext): void {
  const set = program.command('set').description('change one field of objects');
  set
    .command('image')
    .description("set the image of a deployment's, replica set's or pod's containers")
    .argument('<args...>', 'KIND/NAME... CONTAINER=IMAGE...')
    .option('-n, --namespace <namespace>', "namespace of the objects (default: the context's, else default)")
    .action(async (args: string[], flags: { namespace?: string }) => {
      const { objects, images } = parseImageArgs(args);
      if (objects.length === 0) throw new CliError('error: name the object, e.g. ctl set image deployment/web web=nginx:1.27');
      const namespace = flags.namespace ?? context.defaultNamespace();
      for (const { info, names } of parseObjectArgs(objects)) {
        if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet' && info.kind !== 'Pod') {
          throw new CliError(`error: ${info.plural} have no containers to set an image on`);
        }
        if (names.length === 0) throw new CliError('error: name the object, e.g. ctl set image deployment/web web=nginx:1.27');
        for (const name of names) {
          await updateObject<ResourceObject>(context, info, namespace, name, (object) => {
            const containers = object.kind === 'Pod' ? (object as Pod).spec.containers : (object as Deployment | ReplicaSet).spec.template.spec.containers;
            setImages(containers, images);
            return { write: object };
          });
          context.stdout.write(`${qualifiedName(info, name)} image updated\n`);
        }
      }
    });
}

// kubectl's ways of naming objects on the command line: `KIND NAME...`,
// `KIND/NAME...`, and `KIND` alone for lists (`all`: kubectl's all category).
import { allCategoryKinds, resolveKind, type KindInfo } from '@skiff/api';
import { CliError } from '../errors.js';

export interface NamedObjects {
  readonly info: KindInfo;
  readonly names: string[];
}

export function requireKindArg(spelling: string): KindInfo {
  const info = resolveKind(spelling);
  if (!info) {
    throw new CliError(`error: the server doesn't have a resource type "${spelling}" (run "ctl api-resources" to list them)`);
  }
  return info;
}

/** Parses `[KIND, NAME...]` or `[KIND/NAME...]` into one group per kind, in order. */
export function parseObjectArgs(args: readonly string[]): NamedObjects[] {
  const [first, ...rest] = args;
  if (first === undefined) throw new CliError('error: you must specify the type of resource, e.g. "ctl get pods"');
  if (first.trim().toLowerCase() === 'all' && rest.length === 0) return allCategoryKinds().map((info) => ({ info, names: [] }));
  if (!first.includes('/')) return [{ info: requireKindArg(first), names: [...rest] }];
  const groups: NamedObjects[] = [];
  for (const arg of args) {
    const slash = arg.indexOf('/');
    if (slash <= 0 || slash === arg.length - 1) {
      throw new CliError(`error: "${arg}" is not KIND/NAME; when one argument has a slash, all of them must (e.g. deployment/web)`);
    }
    const info = requireKindArg(arg.slice(0, slash));
    const name = arg.slice(slash + 1);
    const group = groups.find((g) => g.info.kind === info.kind);
    if (group) group.names.push(name);
    else groups.push({ info, names: [name] });
  }
  return groups;
}

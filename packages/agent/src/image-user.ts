// The user an image's config names ("1000", "1000:1000", "nginx", "app:staff"),
// resolved to ids the way containerd does: numbers as they are, names through
// the image's own /etc/passwd and /etc/group (the topmost layer that has the
// file), and the primary group from passwd when no group is given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
}

/** The image names a user or group its files do not define. */
export class UnknownImageUserError extends Error {}

const NUMERIC = /^[0-9]+$/;

/** `user` from the image config (empty = root); `layers` bottom first. */
export function resolveImageUser(user: string | undefined, layers: readonly string[]): ResolvedUser {
  const [userPart = '', groupPart] = (user ?? '').split(':', 2);
  const passwd = () => readDatabase(layers, 'passwd');
  let uid = 0;
  let gid: number | undefined;
  if (userPart === '') {
    uid = 0;
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
  } else {
    const entry = passwd().find((fields) => fields[0] === userPart);
    if (!entry) throw new UnknownImageUserError(`unable to find user ${userPart}: no matching entries in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) return { uid, gid: Number(groupPart) };
    const entry = readDatabase(layers, 'group').find((fields) => fields[0] === groupPart);
    if (!entry) throw new UnknownImageUserError(`unable to find group ${groupPart}: no matching entries in the image's /etc/group`);
    return { uid, gid: Number(entry[2]) };
  }
  return { uid, gid: gid ?? primaryGroupOf(uid, layers) ?? 0 };
}

/** The primary group of `uid` in the image's /etc/passwd, if it lists the uid. */
export function primaryGroupOf(uid: number, layers: readonly string[]): number | undefined {
  const entry = readDatabase(layers, 'passwd').find((fields) => fields[2] === String(uid));
  return entry && NUMERIC.test(entry[3] ?? '') ? Number(entry[3]) : undefined;
}

/** The groups the image's /etc/group lists `uid`'s user name in, as containerd adds them. */
export function memberGroupsOf(uid: number, layers: readonly string[]): number[] {
  const name = readDatabase(layers, 'passwd').find((fields) => fields[2] === String(uid))?.[0];
  if (name === undefined) return [];
  return readDatabase(layers, 'group')
    .filter((fields) => (fields[3] ?? '').split(',').includes(name) && NUMERIC.test(fields[2] ?? ''))
    .map((fields) => Number(fields[2]));
}

/** The colon-separated lines of etc/<name> in the topmost layer that has it. */
function readDatabase(layers: readonly string[], name: 'passwd' | 'group'): string[][] {
  for (const layer of [...layers].reverse()) {
    let text: string;
    try {
      text = readFileSync(join(layer, 'etc', name), 'utf8');
    } catch {
      continue;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.split(':'));
  }
  return [];
}

// Readers for what `ip -json` prints. Its output is whatever the installed
// iproute2 version writes, so every reader narrows `unknown` and answers
// false/undefined for a shape it does not recognise rather than throwing.

import { isRecord } from '@skiff/api/core';

/** The entry of `ip -json link|address show` for device `ifname`, if listed. */
export function linkNamed(links: readonly unknown[], ifname: string): unknown {
  return links.find((link) => isRecord(link) && link['ifname'] === ifname);
}

/** Whether a link entry carries `flag` ("UP", "LOWER_UP", …). */
export function hasFlag(link: unknown, flag: string): boolean {
  return isRecord(link) && Array.isArray(link['flags']) && link['flags'].includes(flag);
}

/** Whether an `ip -json address show` entry holds IPv4 address `ip` (with `prefix`, when given). */
export function hasIpv4(link: unknown, ip: string, prefix?: number): boolean {
  if (!isRecord(link) || !Array.isArray(link['addr_info'])) return false;
  return link['addr_info'].some(
    (info) =>
      isRecord(info) &&
      info['family'] === 'inet' &&
      info['local'] === ip &&
      (prefix === undefined || info['prefixlen'] === prefix),
  );
}

/** linkinfo.info_kind from `ip -details -json link show` ("bridge", "veth", …), or undefined for plain devices. */
export function linkKind(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  const link: unknown = details[0];
  if (!isRecord(link)) return undefined;
  const info = link['linkinfo'];
  if (!isRecord(info)) return undefined;
  const kind = info['info_kind'];
  return typeof kind === 'string' ? kind : undefined;
}

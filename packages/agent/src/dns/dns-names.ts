// Domain names as the cluster DNS compares them: lower case, no trailing dot
// (dns-packet decodes names that way), labels joined by ".".

/** `Foo.Example.` → `foo.example`; the root is "". */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether `name` is `zone` or below it (both canonical). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The names strictly between `name` and `zone` (exclusive of both), nearest first: a.b.c.zone → b.c.zone, c.zone. */
export function ancestorsWithin(name: string, zone: string): string[] {
  const out: string[] = [];
  let rest = name;
  for (;;) {
    const dot = rest.indexOf('.');
    if (dot < 0) break;
    rest = rest.slice(dot + 1);
    if (rest === zone || !isInZone(rest, zone)) break;
    out.push(rest);
  }
  return out;
}

/** An endpoint without a hostname is named by its address with dashes, as CoreDNS does: 10.244.1.5 → 10-244-1-5. */
export function dashedAddress(address: string): string {
  return address.replace(/[.:]/g, '-');
}

/** A cluster domain as given by a flag: a DNS name of letters, digits and hyphens, canonical. */
export function parseClusterDomain(text: string, what = '--cluster-domain'): string {
  const name = canonicalName(text.trim());
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  if (name === '' || name.length > 253 || !name.split('.').every((part) => label.test(part))) {
    throw new Error(`${what} must be a DNS name such as cluster.local, not ${JSON.stringify(text)}`);
  }
  return name;
}

/** Whether `name` fits the wire format: labels of 1–63 bytes, 253 in all (dns-packet writes whatever it is given). */
export function isWireName(name: string): boolean {
  if (name === '') return true;
  if (Buffer.byteLength(name) > 253) return false;
  return name.split('.').every((label) => label.length > 0 && Buffer.byteLength(label) <= 63);
}

// A pod's /etc/resolv.conf by its dnsPolicy, as kubelet writes it:
//   ClusterFirst (the default)  nameserver <node's cluster DNS>,
//                               search <ns>.svc.<domain> svc.<domain> <domain> + the host's searches,
//                               options ndots:5
//                               (the host's resolvers when the node runs no cluster DNS)
//   Default                     the host's resolvers, searches and options
//   None                        nothing but dnsConfig
// then dnsConfig on top: its nameservers and searches appended (at most 3 and
// 32), its options replacing those of the same name.
import type { Pod } from '@skiff/api/core';

export interface ClusterDnsSettings {
  /** The address pods send queries to (the node's cluster DNS). */
  readonly nameserver: string;
  readonly clusterDomain: string;
}

export interface ResolverConfig {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  /** `ndots:5`, `edns0`: name and optional value. */
  readonly options: readonly { readonly name: string; readonly value?: string }[];
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** The nameserver (not loopback: in the pod's namespace that would be the pod), search and options lines of a resolv.conf. */
export function parseResolvConf(text: string): ResolverConfig {
  const nameservers: string[] = [];
  let searches: string[] = [];
  const options: { name: string; value?: string }[] = [];
  for (const raw of text.split('\n')) {
    const [keyword, ...values] = raw.trim().split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined && !isLoopback(values[0])) nameservers.push(values[0]);
    // As in glibc, the last search (or domain) line wins.
    else if (keyword === 'search' || keyword === 'domain') searches = values.filter((v) => v !== '');
    else if (keyword === 'options') for (const option of values) if (option !== '') options.push(parseOption(option));
  }
  return { nameservers, searches, options };
}

function parseOption(option: string): { name: string; value?: string } {
  const colon = option.indexOf(':');
  return colon < 0 ? { name: option } : { name: option.slice(0, colon), value: option.slice(colon + 1) };
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** What the pod's resolver is told, before rendering. */
export function podResolverConfig(pod: Pod, hostResolvConf: string, cluster: ClusterDnsSettings | undefined): ResolverConfig {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const host = parseResolvConf(hostResolvConf);
  let base: ResolverConfig;
  if (policy === 'None') base = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default' || cluster === undefined) base = host;
  else {
    const namespace = pod.metadata.namespace ?? 'default';
    const domain = cluster.clusterDomain;
    base = {
      nameservers: [cluster.nameserver],
      searches: [`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches],
      options: [{ name: 'ndots', value: '5' }],
    };
  }
  const extra = pod.spec.dnsConfig ?? {};
  const options = [...base.options];
  for (const option of extra.options ?? []) {
    const at = options.findIndex((o) => o.name === option.name);
    const value = option.value !== undefined ? { name: option.name, value: option.value } : { name: option.name };
    if (at >= 0) options[at] = value;
    else options.push(value);
  }
  return {
    nameservers: unique([...base.nameservers, ...(extra.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
    searches: unique([...base.searches, ...(extra.searches ?? [])].map((s) => s.replace(/\.$/, ''))).slice(0, MAX_SEARCHES),
    options,
  };
}

export function renderPodResolvConf(pod: Pod, hostResolvConf: string, cluster: ClusterDnsSettings | undefined): string {
  const config = podResolverConfig(pod, hostResolvConf, cluster);
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const source = policy === 'None' ? 'its dnsConfig' : policy === 'Default' || cluster === undefined ? "the host's resolvers" : 'the cluster DNS';
  const lines = [`# Written by the Skiff agent for this pod (dnsPolicy ${policy}): ${source}.`];
  for (const server of config.nameservers) lines.push(`nameserver ${server}`);
  if (config.searches.length > 0) lines.push(`search ${config.searches.join(' ')}`);
  if (config.options.length > 0) lines.push(`options ${config.options.map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// The service proxy's nftables text, rendered from the desired rules (pure:
// nothing here runs nft). The design follows kube-proxy's nftables mode
// (pkg/proxy/nftables), smaller. One table of Skiff's own, `table ip <name>`:
//
//   map service-ips            VIP . proto . port  : goto svc-<key>
//   map service-nodeports      proto . nodePort    : goto ext-<key>
//   map no-endpoint-services   VIP . proto . port  : goto reject-chain
//   map no-endpoint-nodeports  proto . nodePort    : goto reject-chain
//   chain nat-prerouting  (nat, prerouting -100: pods' and other hosts' traffic) → services
//   chain nat-output      (nat, output -100: this host's processes)              → services
//   chain services        vmap @service-ips; to a local address: nodeports
//   chain nat-postrouting (nat, postrouting 100) → masquerading: marked packets are masqueraded
//   chain filter-prerouting / filter-output (filter, -110): new connections to a
//                         port without endpoints → reject-chain (TCP reset, else
//                         ICMP host-unreachable)
//   chain svc-<key>       [ClientIP affinity: a client in an endpoint's set goes back to it]
//                         numgen random mod N vmap { i : goto ep-<key>__<ip>/<port> }
//   chain ext-<key>       NodePort traffic: mark for masquerade, goto svc-<key>
//   chain ep-<key>__<ip>/<port>   hairpin (the endpoint itself) → mark; [update @aff-…]; dnat
//   set aff-<key>__<ip>/<port>    clients of that endpoint, with the affinity timeout
//
// <key> is `namespace/name/protocol/port` (nft accepts `/`, `.` and `-` in
// names). Every change is one `nft -f` transaction: renderFullSync deletes and
// recreates the table (atomically: established connections keep their
// conntrack NAT bindings throughout), renderChanges rewrites only the chains
// and map elements of the Service ports that changed.
import type { ProxyEndpoint, ServicePortRules } from './proxy-model.js';

export const DEFAULT_TABLE_NAME = 'skiff-proxy';
/** The packet mark bit that asks for masquerade in postrouting (kube-proxy's). */
export const MASQUERADE_MARK = 0x4000;

export interface RulesetConfig {
  /** The table's name (family ip). */
  readonly table: string;
  /** The pod network: traffic to a VIP from outside it (host processes, other hosts) is masqueraded. */
  readonly clusterCidr?: string;
}

const REJECT_CHAIN = 'reject-chain';

export function svcChain(key: string): string {
  return `svc-${key}`;
}

export function extChain(key: string): string {
  return `ext-${key}`;
}

export function epChain(key: string, endpoint: ProxyEndpoint): string {
  return `ep-${key}__${endpoint.ip}/${endpoint.port}`;
}

export function affinitySet(key: string, endpoint: ProxyEndpoint): string {
  return `aff-${key}__${endpoint.ip}/${endpoint.port}`;
}

/** The whole table, from nothing: `nft -f` of this replaces whatever table of that name exists, in one transaction. */
export function renderFullSync(config: RulesetConfig, rules: Iterable<ServicePortRules>): string {
  const mark = `0x${MASQUERADE_MARK.toString(16)}`;
  const lines = [
    `add table ip ${config.table}`,
    `delete table ip ${config.table}`,
    `table ip ${config.table} {`,
    `\tmap service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `\tmap service-nodeports { type inet_proto . inet_service : verdict; }`,
    `\tmap no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `\tmap no-endpoint-nodeports { type inet_proto . inet_service : verdict; }`,
    `\tchain ${REJECT_CHAIN} { meta l4proto tcp reject with tcp reset; reject with icmp type host-unreachable; }`,
    `\tchain endpoints-check { ip daddr . meta l4proto . th dport vmap @no-endpoint-services; fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports; }`,
    `\tchain filter-prerouting { type filter hook prerouting priority -110; policy accept; ct state new jump endpoints-check; }`,
    `\tchain filter-output { type filter hook output priority -110; policy accept; ct state new jump endpoints-check; }`,
    `\tchain mark-for-masquerade { meta mark set meta mark | ${mark}; }`,
    `\tchain masquerading { meta mark & ${mark} == 0 return; meta mark set meta mark ^ ${mark}; masquerade fully-random; }`,
    `\tchain nodeports { meta l4proto . th dport vmap @service-nodeports; }`,
    `\tchain services { ip daddr . meta l4proto . th dport vmap @service-ips; fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports; }`,
    `\tchain nat-prerouting { type nat hook prerouting priority -100; policy accept; jump services; }`,
    `\tchain nat-output { type nat hook output priority -100; policy accept; jump services; }`,
    `\tchain nat-postrouting { type nat hook postrouting priority 100; policy accept; jump masquerading; }`,
    `}`,
  ];
  for (const rule of rules) lines.push(...renderPortChange(config, undefined, rule, { fresh: true }));
  return `${lines.join('\n')}\n`;
}

/**
 * The commands that take the table from `previous` to `next` for the given
 * Service ports (undefined on one side: added or removed), in an order nft
 * accepts inside one transaction: map elements out, old chains flushed, chains
 * and sets gone deleted, new sets and chains filled, map elements in.
 */
export function renderChanges(
  config: RulesetConfig,
  changes: Iterable<{ readonly previous: ServicePortRules | undefined; readonly next: ServicePortRules | undefined }>,
): string {
  const lines: string[] = [];
  for (const { previous, next } of changes) lines.push(...renderPortChange(config, previous, next, { fresh: false }));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

interface Element {
  readonly map: string;
  readonly key: string;
  readonly verdict: string;
}

function elementsOf(rule: ServicePortRules | undefined): Element[] {
  if (!rule) return [];
  const serving = rule.endpoints.length > 0;
  const elements: Element[] = [
    {
      map: serving ? 'service-ips' : 'no-endpoint-services',
      key: `${rule.clusterIP} . ${rule.protocol} . ${rule.port}`,
      verdict: `goto ${serving ? svcChain(rule.key) : REJECT_CHAIN}`,
    },
  ];
  if (rule.nodePort !== undefined) {
    elements.push({
      map: serving ? 'service-nodeports' : 'no-endpoint-nodeports',
      key: `${rule.protocol} . ${rule.nodePort}`,
      verdict: `goto ${serving ? extChain(rule.key) : REJECT_CHAIN}`,
    });
  }
  return elements;
}

/** The chains a rule owns (endpoint chains first: the service chain refers to them). */
function chainsOf(rule: ServicePortRules | undefined): string[] {
  if (!rule || rule.endpoints.length === 0) return [];
  return [
    ...rule.endpoints.map((endpoint) => epChain(rule.key, endpoint)),
    svcChain(rule.key),
    ...(rule.nodePort !== undefined ? [extChain(rule.key)] : []),
  ];
}

/** Affinity sets by name, with their timeout. */
function setsOf(rule: ServicePortRules | undefined): Map<string, number> {
  const sets = new Map<string, number>();
  if (!rule || rule.affinityTimeoutSeconds === undefined) return sets;
  for (const endpoint of rule.endpoints) sets.set(affinitySet(rule.key, endpoint), rule.affinityTimeoutSeconds);
  return sets;
}

function renderPortChange(
  config: RulesetConfig,
  previous: ServicePortRules | undefined,
  next: ServicePortRules | undefined,
  options: { fresh: boolean },
): string[] {
  const t = `ip ${config.table}`;
  const lines: string[] = [];
  const oldElements = elementsOf(previous);
  const newElements = elementsOf(next);
  const same = (a: Element, b: Element): boolean => a.map === b.map && a.key === b.key && a.verdict === b.verdict;
  for (const element of oldElements) {
    if (!newElements.some((e) => same(e, element))) lines.push(`delete element ${t} ${element.map} { ${element.key} }`);
  }
  const oldChains = chainsOf(previous);
  const newChains = chainsOf(next);
  for (const chain of oldChains) lines.push(`flush chain ${t} ${chain}`);
  // The ext chain jumps to the svc chain, which jumps to the endpoint chains: delete in that order.
  for (const chain of [...oldChains].reverse()) if (!newChains.includes(chain)) lines.push(`delete chain ${t} ${chain}`);
  const oldSets = setsOf(previous);
  const newSets = setsOf(next);
  for (const [set, timeout] of oldSets) if (newSets.get(set) !== timeout) lines.push(`delete set ${t} ${set}`);
  for (const [set, timeout] of newSets) {
    if (oldSets.get(set) !== timeout) lines.push(`add set ${t} ${set} { type ipv4_addr; flags dynamic,timeout; timeout ${timeout}s; }`);
  }
  if (next && next.endpoints.length > 0) {
    const created = options.fresh ? newChains : newChains.filter((chain) => !oldChains.includes(chain));
    // Outside a full resync a chain we did not program may exist already (another agent sharing
    // this network namespace, a dev cluster): flushing it too keeps its rules from doubling.
    for (const chain of created) lines.push(`add chain ${t} ${chain}`, ...(options.fresh ? [] : [`flush chain ${t} ${chain}`]));
    lines.push(...chainRules(config, next).map((rule) => `add rule ${t} ${rule}`));
  }
  for (const element of newElements) {
    if (!oldElements.some((e) => same(e, element))) lines.push(`add element ${t} ${element.map} { ${element.key} : ${element.verdict} }`);
  }
  return lines;
}

/** `<chain> <statement>` for every rule of a serving port. */
function chainRules(config: RulesetConfig, rule: ServicePortRules): string[] {
  const rules: string[] = [];
  const affinity = rule.affinityTimeoutSeconds !== undefined;
  for (const endpoint of rule.endpoints) {
    const chain = epChain(rule.key, endpoint);
    rules.push(`${chain} ip saddr ${endpoint.ip} jump mark-for-masquerade`);
    if (affinity) rules.push(`${chain} update @${affinitySet(rule.key, endpoint)} { ip saddr }`);
    rules.push(`${chain} meta l4proto ${rule.protocol} dnat to ${endpoint.ip}:${endpoint.port}`);
  }
  const svc = svcChain(rule.key);
  if (config.clusterCidr !== undefined) {
    rules.push(`${svc} ip daddr ${rule.clusterIP} ${rule.protocol} dport ${rule.port} ip saddr != ${config.clusterCidr} jump mark-for-masquerade`);
  }
  if (affinity) {
    for (const endpoint of rule.endpoints) rules.push(`${svc} ip saddr @${affinitySet(rule.key, endpoint)} goto ${epChain(rule.key, endpoint)}`);
  }
  const [only] = rule.endpoints;
  if (rule.endpoints.length === 1 && only) {
    rules.push(`${svc} goto ${epChain(rule.key, only)}`);
  } else {
    const arms = rule.endpoints.map((endpoint, i) => `${i} : goto ${epChain(rule.key, endpoint)}`).join(', ');
    rules.push(`${svc} numgen random mod ${rule.endpoints.length} vmap { ${arms} }`);
  }
  if (rule.nodePort !== undefined) {
    const ext = extChain(rule.key);
    rules.push(`${ext} jump mark-for-masquerade`, `${ext} goto ${svc}`);
  }
  return rules;
}

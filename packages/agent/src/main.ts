#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --v8-pool-size=1 --no-opt
// V8 sized for a small resident daemon, measured with bench:runtime (agent RSS
// with 50 pods): --max-semi-space-size=1 (MiB), or the young generation grows
// to 16 MiB per semi-space under the bursts of a 50-pod start and keeps it
// (about 30 MB); --optimize-for-size and one V8 worker thread (--v8-pool-size=1)
// about 10 MB more. Scavenges are more frequent but small: the agent's CPU for
// the start stayed the same. --no-opt (no optimizing compiler: the agent's
// JavaScript runs interpreted or as baseline code) about 6 MB more, its CPU
// and start time the same: its time goes to forks and syscalls. Whatever
// starts the agent passes the flags of this line (deploy/install.sh's
// wrapper, the testkit).
// skiff-agent: flags and signals only; agent.ts does the work.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { BACKOFF, isQuantity, memoryBytes, messageOf, parseCidr, parseDuration, parseJoinToken, SkiffError } from '@skiff/api/core';
import { pino } from 'pino';
import { NodeAgent } from './agent.js';
import { parseClusterDomain, parseUpstreams } from './dns/index.js';
import { DEFAULT_EVICTION_HARD, parseEvictionHard } from './eviction/eviction-threshold.js';
import { detectCapacity } from './host-capacity.js';
import { allocatableOf, parseSystemReserved } from './node-allocatable.js';
import { parseHostPort, parseHostPortList } from './host-port.js';
import { DEFAULT_TABLE_NAME } from './services/nft-ruleset.js';
import { DEFAULT_SERVICE_CIDR } from './services/service-proxy.js';
import { checkGcThresholds, DEFAULT_IMAGE_GC_HIGH_PERCENT, DEFAULT_IMAGE_GC_LOW_PERCENT } from './images/image-gc.js';

const usage = `usage: skiff-agent [options]
  --server HOST:PORT[,HOST:PORT...]  the control plane's gRPC address; with several, the agent
                          uses the first that answers (env SKIFF_SERVER; default 127.0.0.1:7400)
  --token TOKEN           join token (SKF10<CA hash>::<id>.<secret>), needed only until the node
                          has joined: from \`skiff-controlplane token create\` or <data-dir>/token
  --token-file FILE       read the join token from FILE (env SKIFF_TOKEN also works; both keep
                          it out of the process list, unlike --token)
  --name NAME             node name (default: the host name)
  --listen HOST:PORT      the agent's own gRPC address, for logs (default 127.0.0.1:7410; port 0 picks one)
  --state-dir DIR         containers, images and network state (default /var/lib/skiff/<name>)
  --cgroup-instance NAME  the agent's cgroups live under /skiff/NAME (default: the node name);
                          two agents on one host (tests, a dev cluster) need different ones
  --runtime runc|process  container runtime (default runc as root, process otherwise)
  --cpu Q --memory Q --pods N   capacity to offer (default: what the host has)
  --system-reserved cpu=Q,memory=Q  kept for the host: pods are offered (allocatable) capacity
                          minus it, and their kubepods cgroup is limited to it (default none)
  --eviction-hard memory.available<Q|P%  evict pods while the node's or the pods' available
                          memory is below this (default memory.available<100Mi; "" turns it off)
  --eviction-pressure-transition-period D  how long MemoryPressure stays True after the
                          threshold is no longer met (default 5m)
  --eviction-monitoring-interval D  how often memory is measured, one eviction per round (default 10s)
  --label KEY=VALUE       node label (repeatable)
  --taint KEY[=VALUE]:EFFECT  taint the node registers with, e.g. gpu=true:NoSchedule (repeatable;
                          applied at first registration, like kubelet's --register-with-taints)
  --insecure-registry H   plain-HTTP registry besides loopback ones (repeatable)
  --container-log-max-size Q   rotate a container's log at this size (default 10Mi)
  --container-log-max-files N  log files kept per container, the current one included (default 5)
  --image-gc-high-threshold PERCENT  image disk usage that starts image garbage collection (default 85)
  --image-gc-low-threshold PERCENT   usage image garbage collection brings the disk under (default 80)
  --overlay MODE          pod network across hosts: vxlan, none, or auto (default: vxlan unless
                          the host of --listen is loopback); runc runtime only
  --masquerade-outside    masquerade pod traffic to addresses outside the pod network (for
                          installs: pods reach the world through the node's address)
  --cluster-domain NAME   the cluster's DNS domain (default cluster.local)
  --cluster-dns ADDR|off  where the node's cluster DNS listens (port 53, UDP and TCP) and what pods
                          get as nameserver: default the pod bridge's gateway address (runc only);
                          off runs none (pods get the host's resolvers)
  --dns-upstream IP[:PORT],...  where the cluster DNS forwards other names (default: the
                          nameservers of the host's /etc/resolv.conf, read at start)
  --service-proxy on|off  program this node's nftables service proxy (runc runtime only; default on)
  --service-cidr CIDR     the Services' virtual IPs, routed onto the pod bridge (default 10.96.0.0/16)
  --proxy-table NAME      the proxy's nftables table, family ip (default skiff-proxy)
  --proxy-min-sync-period D  coalesce Service changes: at most one nft transaction per D (default 100ms)
  --http-listen HOST:PORT  plain HTTP /metrics (Prometheus) and /healthz (default 127.0.0.1:7411;
                          port 0 picks one; off serves none)
  --metrics-resolution D  how often the node's and containers' CPU and memory are sampled (default 5s)
  --log-level LEVEL       trace, debug, info, warn or error (default info)
  --reset                 remove every container, mount, cgroup and pod network of this
                          node's state dir, and its credentials (<state-dir>/pki), then exit
                          (run with the agent stopped; the node must join again with a token)`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        server: { type: 'string', default: process.env.SKIFF_SERVER ?? '127.0.0.1:7400' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        name: { type: 'string', default: hostname().toLowerCase() },
        listen: { type: 'string', default: '127.0.0.1:7410' },
        'state-dir': { type: 'string' },
        'cgroup-instance': { type: 'string' },
        runtime: { type: 'string', default: process.getuid?.() === 0 ? 'runc' : 'process' },
        cpu: { type: 'string' },
        memory: { type: 'string' },
        pods: { type: 'string' },
        'system-reserved': { type: 'string', default: '' },
        'eviction-hard': { type: 'string', default: DEFAULT_EVICTION_HARD },
        'eviction-pressure-transition-period': { type: 'string', default: '5m' },
        'eviction-monitoring-interval': { type: 'string', default: '10s' },
        label: { type: 'string', multiple: true, default: [] },
        taint: { type: 'string', multiple: true, default: [] },
        'insecure-registry': { type: 'string', multiple: true, default: [] },
        'container-log-max-size': { type: 'string', default: '10Mi' },
        'container-log-max-files': { type: 'string', default: '5' },
        'image-gc-high-threshold': { type: 'string', default: String(DEFAULT_IMAGE_GC_HIGH_PERCENT) },
        'image-gc-low-threshold': { type: 'string', default: String(DEFAULT_IMAGE_GC_LOW_PERCENT) },
        overlay: { type: 'string', default: 'auto' },
        'masquerade-outside': { type: 'boolean', default: false },
        'cluster-domain': { type: 'string', default: 'cluster.local' },
        'cluster-dns': { type: 'string' },
        'dns-upstream': { type: 'string' },
        'service-proxy': { type: 'string', default: 'on' },
        'service-cidr': { type: 'string', default: DEFAULT_SERVICE_CIDR },
        'proxy-table': { type: 'string', default: DEFAULT_TABLE_NAME },
        'proxy-min-sync-period': { type: 'string', default: '100ms' },
        'http-listen': { type: 'string', default: '127.0.0.1:7411' },
        'metrics-resolution': { type: 'string', default: '5s' },
        'log-level': { type: 'string', default: 'info' },
        reset: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

function fail(message: string): never {
  process.stderr.write(`skiff-agent: ${message}\n${usage}\n`);
  process.exit(2);
}

const flags = parseFlags();
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (flags.runtime !== 'runc' && flags.runtime !== 'process') fail(`--runtime must be runc or process, not "${flags.runtime}"`);
const overlay = flags.overlay;
if (overlay !== 'auto' && overlay !== 'vxlan' && overlay !== 'none') fail(`--overlay must be vxlan, none or auto, not "${overlay}"`);
const labels: Record<string, string> = {};
for (const pair of flags.label) {
  const eq = pair.indexOf('=');
  if (eq <= 0) fail(`--label must be KEY=VALUE, not "${pair}"`);
  labels[pair.slice(0, eq)] = pair.slice(eq + 1);
}

const taints = flags.taint.map((text) => {
  const match = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (!match) fail(`--taint must be KEY[=VALUE]:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute, not "${text}"`);
  const [, key = '', value, effect] = match;
  return { key, ...(value !== undefined ? { value } : {}), effect: effect as 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' };
});

function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    fail(messageOf(error));
  }
}

const imageGc = checked(() => {
  const percent = (flag: 'image-gc-high-threshold' | 'image-gc-low-threshold'): number => {
    const text = flags[flag];
    if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`--${flag} must be a percentage, not "${text}"`);
    return Number(text);
  };
  const thresholds = { highThresholdPercent: percent('image-gc-high-threshold'), lowThresholdPercent: percent('image-gc-low-threshold') };
  checkGcThresholds(thresholds.highThresholdPercent, thresholds.lowThresholdPercent);
  return thresholds;
});
const serviceProxy = checked(() => {
  const enabled = flags['service-proxy'];
  if (enabled !== 'on' && enabled !== 'off') throw new Error(`--service-proxy must be on or off, not "${enabled}"`);
  const table = flags['proxy-table'];
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(table)) throw new Error(`--proxy-table must be a letter then letters, digits, "-" or "_", not "${table}"`);
  return {
    enabled: enabled === 'on',
    table,
    serviceCidr: parseCidr(flags['service-cidr'], '--service-cidr').text,
    minSyncMs: parseDuration(flags['proxy-min-sync-period'], '--proxy-min-sync-period'),
  };
});
const systemReserved = checked(() => parseSystemReserved(flags['system-reserved']));
// A reservation that leaves pods nothing is refused now, not at registration.
checked(() => allocatableOf(detectCapacity({ cpu: flags.cpu, memory: flags.memory, pods: flags.pods }), systemReserved));
const evictionThreshold = checked(() => parseEvictionHard(flags['eviction-hard']));
const eviction = checked(() => {
  const intervalMs = parseDuration(flags['eviction-monitoring-interval'], '--eviction-monitoring-interval');
  if (intervalMs < 100) throw new Error('--eviction-monitoring-interval must be at least 100ms');
  return {
    ...(evictionThreshold ? { threshold: evictionThreshold } : {}),
    pressureTransitionPeriodMs: parseDuration(flags['eviction-pressure-transition-period'], '--eviction-pressure-transition-period'),
    intervalMs,
  };
});
const servers = checked(() => parseHostPortList(flags.server, '--server'));
const clusterDns = checked(() => {
  const address = flags['cluster-dns'];
  if (address !== undefined && address !== 'off' && isIP(address) === 0) throw new Error(`--cluster-dns must be an IP address of this host or off, not "${address}"`);
  const upstreams = flags['dns-upstream'];
  return {
    enabled: address !== 'off',
    domain: parseClusterDomain(flags['cluster-domain']),
    ...(address !== undefined && address !== 'off' ? { address } : {}),
    ...(upstreams !== undefined ? { upstreams: parseUpstreams(upstreams) } : {}),
  };
});
checked(() => parseHostPort(flags.listen, '--listen'));
if (flags['http-listen'] !== 'off') checked(() => parseHostPort(flags['http-listen'], '--http-listen'));
const metricsIntervalMs = checked(() => {
  const ms = parseDuration(flags['metrics-resolution'], '--metrics-resolution');
  if (ms < 1000) throw new Error('--metrics-resolution must be at least 1s');
  return ms;
});
checked(() => {
  const instance = flags['cgroup-instance'];
  // One path segment under /skiff: nothing that could climb out of it.
  if (instance !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(instance)) {
    throw new Error(`--cgroup-instance must be letters, digits, ".", "-" or "_" (one cgroup name), not "${instance}"`);
  }
});

/** --token, --token-file or SKIFF_TOKEN (in that order; the first two exclude each other). */
function joinToken(): string | undefined {
  if (flags.token !== undefined && flags['token-file'] !== undefined) fail('give --token or --token-file, not both');
  const file = flags['token-file'];
  const text = flags.token ?? (file !== undefined ? checked(() => readTokenFile(file)) : process.env.SKIFF_TOKEN);
  if (text === undefined || text.trim() === '') return undefined;
  const token = text.trim();
  checked(() => parseJoinToken(token));
  return token;
}

function tokenOption(): { token?: string } {
  const token = joinToken();
  return token === undefined ? {} : { token };
}

function readTokenFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--token-file ${file} cannot be read: ${messageOf(error)}`);
  }
}

/** --container-log-max-size (a quantity such as 10Mi) and --container-log-max-files (at least 2: the current file and one rotated). */
function containerLogLimits(): { maxBytes: number; maxFiles: number } {
  const size = flags['container-log-max-size'];
  const maxBytes = isQuantity(size) ? memoryBytes(size) : Number.NaN;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 4096) fail(`--container-log-max-size must be a size of at least 4Ki such as 10Mi, not "${size}"`);
  const maxFiles = Number(flags['container-log-max-files']);
  if (!Number.isInteger(maxFiles) || maxFiles < 2) fail(`--container-log-max-files must be a whole number of at least 2, not "${flags['container-log-max-files']}"`);
  return { maxBytes, maxFiles };
}

const log = pino({ name: 'agent', level: flags['log-level'] });
const agent = new NodeAgent(
  {
    servers,
    // --reset needs no token: it only removes what the node left behind.
    ...(flags.reset ? {} : tokenOption()),
    nodeName: flags.name,
    ...(flags['cgroup-instance'] !== undefined ? { cgroupInstance: flags['cgroup-instance'] } : {}),
    listen: flags.listen,
    // Absolute: overlay mounts and runc bundles refuse relative paths.
    stateDir: resolve(flags['state-dir'] ?? `/var/lib/skiff/${flags.name}`),
    runtime: flags.runtime,
    capacity: { cpu: flags.cpu, memory: flags.memory, pods: flags.pods },
    labels,
    taints,
    insecureRegistries: flags['insecure-registry'],
    containerLogs: containerLogLimits(),
    imageGc,
    overlay,
    masqueradeOutside: flags['masquerade-outside'],
    systemReserved,
    eviction,
    restartBackoff: BACKOFF.containerRestart,
    resyncMs: 1000,
    clusterDns,
    serviceProxy,
    metricsIntervalMs,
    ...(flags['http-listen'] !== 'off' ? { httpListen: flags['http-listen'] } : {}),
  },
  log,
);

if (flags.reset) {
  try {
    const removed = await agent.reset();
    log.info(removed, 'node reset');
    process.exit(0);
  } catch (error) {
    log.fatal({ err: error }, 'reset failed');
    process.exit(1);
  }
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down (containers keep running)');
  await agent.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const { node, agentAddress } = await agent.start();
  log.info({ node: node.metadata.name, agentAddress, httpAddress: agent.httpAddress, podCIDR: node.spec.podCIDR, runtime: flags.runtime }, 'agent running');
} catch (error) {
  // A refusal (no token, a token for another cluster, a server that is not
  // the token's) is a sentence for the operator, not a stack trace.
  if (error instanceof SkiffError) log.fatal({ code: status[error.code] }, `agent failed to start: ${error.message}`);
  else log.fatal({ err: error }, 'agent failed to start');
  process.exit(1);
}

#!/usr/bin/env -S node --max-semi-space-size=4
// skiff-controlplane: flags and signals only; control-plane.ts does the work.
// --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 16 MiB
// per semi-space under a burst and keeps it, 25 MB of RSS; measured with
// bench:scheduler at 1,000 nodes and 10,000 pods (RSS 246/249 → 221/211 MB in
// paired runs, scheduling and API-create throughput no lower).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { messageOf, parseDuration } from '@skiff/api';
import { pino } from 'pino';
import { runRotateSecretsKey } from './commands/rotate-secrets-key.js';
import { runSnapshotCommand } from './commands/snapshot.js';
import { runTokenCommand } from './commands/token.js';
import { parseServiceNetwork } from './api/service-allocations.js';
import { ControlPlane, type LeaderElectionConfig } from './control-plane.js';
import { parseEtcdCareFlags, type EtcdCareConfig } from './etcd-care.js';
import { checkEtcdMemberConfig, type EtcdMemberConfig } from './etcd-member/index.js';

// Subcommands first: `skiff-controlplane token …`, `skiff-controlplane rotate-secrets-key …`, `… snapshot save|restore`.
const subcommands: Record<string, typeof runTokenCommand> = { token: runTokenCommand, 'rotate-secrets-key': runRotateSecretsKey, snapshot: runSnapshotCommand };
const subcommand = subcommands[process.argv[2] ?? ''];
if (subcommand) process.exit(await subcommand(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr }));

const usage = `usage: skiff-controlplane [--data-dir DIR] [--etcd URLS] [--listen HOST:PORT] [--advertise-address HOST] [flags]
       skiff-controlplane token create|list|delete …   join tokens for agents (see token --help)
       skiff-controlplane rotate-secrets-key …          re-encrypt every Secret under a fresh key
       skiff-controlplane snapshot save FILE | restore FILE --etcd-data-dir DIR …   back etcd up, restore it (snapshot --help)
  --data-dir      CA, keys, the first join token (DIR/token) and the admin kubeconfig (DIR/admin.kubeconfig);
                  default /var/lib/skiff/controlplane
  --etcd          comma-separated etcd client URLs (env SKIFF_ETCD; default http://127.0.0.1:2379, or in HA mode
                  the local member's --etcd-client-url); https URLs are dialled with mutual TLS: the cluster CA
                  and a client certificate from it (pki/etcd/client.crt)
  --advertise-address  comma-separated hosts clients and agents reach this control plane at (SANs; the admin
                  kubeconfig's server); needed when --listen is 0.0.0.0
  --tls-san       comma-separated extra names or IPs for the serving certificate
  --node-cert-ttl lifetime of node certificates, renewed by agents at 2/3 (default 720h)
  --audit-log PATH  one JSON line per mutating request (off by default); --audit-log-max-size (default 100M),
                  --audit-log-max-files (default 10)
  --listen        gRPC API address (default 127.0.0.1:7400; port 0 picks a free port); several
                  comma-separated addresses are all served, the first being the primary
  --http-listen   /healthz, /readyz and /metrics address (default 127.0.0.1:7401)
  --rest-listen   Kubernetes REST API address for kubectl (default 127.0.0.1:6443; "off" serves none)
  --heartbeat-interval-ms  how often agents heartbeat (default 500); longer in a large fleet (below)
  --lease-duration-ms      a node not heard from for this long is NotReady (default 1500: three heartbeats;
                           it keeps that ratio to the interval a node is told)
  --max-heartbeats-per-second  the fleet's heartbeats the control plane answers at most; past it agents
                           are told a longer interval (default 200: 500 ms up to 100 nodes, 5 s at 1,000)
  --pod-eviction-timeout-ms  how long a node stays NotReady before its pods move (default 500)
  --pod-network CIDR        the pods' address space (default 10.244.0.0/16)
  --node-cidr-mask-size N   size of each node's slice of it (default 24: 254 nodes of 254 pods)
  --service-cluster-ip-range CIDR  Services' virtual IPs (default 10.96.0.0/16)
  --service-node-port-range A-B    NodePort and LoadBalancer ports (default 30000-32767)
  --allow-host-path-namespaces  comma-separated namespaces whose pods may use hostPath volumes (default none)
  --metric-resolution D  how often the agents' resource metrics are scraped (ctl top, the HPA; default 5s)
  --horizontal-pod-autoscaler-sync-period D  how often each HorizontalPodAutoscaler is evaluated (default 15s)
  --etcd-compaction-interval D  compact etcd's history to the revision of one interval ago (default 5m; 0 turns it off)
  --etcd-maintenance-interval D  how often each etcd member's size and the alarms are checked (default 1m; 0 turns
                  defragmentation and the warnings off; /readyz's etcd-alarms check stays)
  --etcd-defrag-threshold F  defragment a member, one at a time, when this fraction of its database is free (default 0.5; 0 never)
  --etcd-defrag-min-size Q   ... and its database is at least this big (default 16Mi)
  --etcd-quota-backend-bytes Q  the quota etcd runs with (its --quota-backend-bytes, default 2Gi): warns at 80 %
  --group-commit on|off      combine concurrent single writes into one etcd transaction (default on)
  --watch-bookmark-interval D  how often a REST watch asking for bookmarks (allowWatchBookmarks) gets one (default 1m, as Kubernetes)
  --watch-cache-size N       recent events the watch cache keeps for watches resuming from the past (default 10000;
                             0 turns the watch cache off: every list and watch goes to etcd)
  --job-backoff-base  a Job's first back-off after a pod failure, doubled per failure up to 6m (default 10s, as Kubernetes)
  --leader-elect  elect one leader among the control planes sharing etcd (default true; false only with a
                  single control plane): every instance serves the API, only the leader runs the controllers,
                  the scheduler, the node judge and the compactor, and only it answers agents' heartbeats
  --leader-lease-duration D  the leader's etcd lease: a dead leader is replaced within about this long
                  (default 1s; etcd rounds it up to 1.5 × its --election-timeout, so run etcd with
                  --election-timeout 500 or lower for 1 s, or expect a warning and slower fail-over)
  --leader-renew-deadline D  a leader that cannot renew its lease for this long steps down, before the lease
                  expires (default 70% of the lease duration)
  --leader-id NAME  this instance's name in the election (default HOSTNAME/ADVERTISED-ADDRESS)
  --strategy      scheduling: binpack (best fit, default) or spread (least allocated)
  --log-level     trace, debug, info, warn or error (default info)
HA mode (a local etcd member, supervised: started with the control plane, restarted if it exits, stopped with it):
  --etcd-member NAME        this member's name; turns HA mode on
  --etcd-peer-url URL       https://IP:PORT the other members reach it at (peer TLS, certificates from the cluster CA)
  --etcd-client-url URL     https://IP:PORT control planes reach it at (client TLS, client certificates required)
  --etcd-initial-cluster L  bootstrap a new cluster: name=https://IP:PEERPORT for every member, this one included
  --etcd-join URLS          or join a running cluster: client URLs of its members (MemberAdd, then state existing)
  --etcd-data-dir DIR       the member's data (default <data-dir>/etcd)
  Every control plane of one cluster needs the same pki/ca.crt, pki/ca.key, pki/service-account.key and
  secrets-encryption.json in its --data-dir before its first start (see the README's high-availability section).`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        etcd: { type: 'string' },
        'etcd-member': { type: 'string' },
        'etcd-peer-url': { type: 'string' },
        'etcd-client-url': { type: 'string' },
        'etcd-initial-cluster': { type: 'string' },
        'etcd-join': { type: 'string' },
        'etcd-data-dir': { type: 'string' },
        'data-dir': { type: 'string', default: '/var/lib/skiff/controlplane' },
        'advertise-address': { type: 'string', default: '' },
        'tls-san': { type: 'string', default: '' },
        'node-cert-ttl': { type: 'string', default: '720h' },
        'audit-log': { type: 'string' },
        'audit-log-max-size': { type: 'string', default: '100M' },
        'audit-log-max-files': { type: 'string', default: '10' },
        listen: { type: 'string', default: '127.0.0.1:7400' },
        'http-listen': { type: 'string', default: '127.0.0.1:7401' },
        'rest-listen': { type: 'string', default: '127.0.0.1:6443' },
        'log-level': { type: 'string', default: 'info' },
        'heartbeat-interval-ms': { type: 'string', default: '500' },
        'lease-duration-ms': { type: 'string', default: '1500' },
        'max-heartbeats-per-second': { type: 'string', default: '200' },
        'pod-eviction-timeout-ms': { type: 'string', default: '500' },
        strategy: { type: 'string', default: 'binpack' },
        'leader-elect': { type: 'string', default: 'true' },
        'leader-lease-duration': { type: 'string', default: '1s' },
        'leader-renew-deadline': { type: 'string' },
        'leader-id': { type: 'string' },
        'metric-resolution': { type: 'string', default: '5s' },
        'horizontal-pod-autoscaler-sync-period': { type: 'string', default: '15s' },
        'etcd-compaction-interval': { type: 'string', default: '5m' },
        'etcd-maintenance-interval': { type: 'string', default: '1m' },
        'etcd-defrag-threshold': { type: 'string', default: '0.5' },
        'etcd-defrag-min-size': { type: 'string', default: '16Mi' },
        'etcd-quota-backend-bytes': { type: 'string', default: '2Gi' },
        'watch-cache-size': { type: 'string', default: '10000' },
        'watch-bookmark-interval': { type: 'string', default: '1m' },
        'group-commit': { type: 'string', default: 'on' },
        'allow-host-path-namespaces': { type: 'string', default: '' },
        'job-backoff-base': { type: 'string', default: '10s' },
        'pod-network': { type: 'string', default: '10.244.0.0/16' },
        'node-cidr-mask-size': { type: 'string', default: '24' },
        'service-cluster-ip-range': { type: 'string', default: '10.96.0.0/16' },
        'service-node-port-range': { type: 'string', default: '30000-32767' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`skiff-controlplane: ${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`skiff-controlplane: --${flag} must be a positive whole number, not "${text}"\n`);
    process.exit(2);
  }
  return value;
}

const flags = parseFlags();
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (flags.strategy !== 'binpack' && flags.strategy !== 'spread') {
  process.stderr.write(`skiff-controlplane: --strategy must be binpack or spread, not "${flags.strategy}"\n`);
  process.exit(2);
}
const strategy = flags.strategy;
const list = (text: string): string[] => text.split(',').map((part) => part.trim()).filter(Boolean);
let nodeCertTtlMs: number;
let metricsResolutionMs: number;
let hpaSyncPeriodMs: number;
let jobBackoffBaseMs: number;
let compactionIntervalMs: number;
let watchBookmarkIntervalMs: number;
let etcdCare: EtcdCareConfig;
const watchCacheSize = Number(flags['watch-cache-size']);
if (!Number.isSafeInteger(watchCacheSize) || watchCacheSize < 0) {
  process.stderr.write(`skiff-controlplane: --watch-cache-size must be a whole number of events (0 turns the cache off), not "${flags['watch-cache-size']}"\n`);
  process.exit(2);
}
if (flags['group-commit'] !== 'on' && flags['group-commit'] !== 'off') {
  process.stderr.write(`skiff-controlplane: --group-commit must be on or off, not "${flags['group-commit']}"\n`);
  process.exit(2);
}
let leaderElection: LeaderElectionConfig;
try {
  nodeCertTtlMs = parseDuration(flags['node-cert-ttl'], '--node-cert-ttl');
  metricsResolutionMs = parseDuration(flags['metric-resolution'], '--metric-resolution');
  if (metricsResolutionMs < 1000) throw new Error(`--metric-resolution must be at least 1s, not ${flags['metric-resolution']}`);
  hpaSyncPeriodMs = parseDuration(flags['horizontal-pod-autoscaler-sync-period'], '--horizontal-pod-autoscaler-sync-period');
  if (hpaSyncPeriodMs < 1000) throw new Error(`--horizontal-pod-autoscaler-sync-period must be at least 1s, not ${flags['horizontal-pod-autoscaler-sync-period']}`);
  jobBackoffBaseMs = parseDuration(flags['job-backoff-base'], '--job-backoff-base');
  compactionIntervalMs = flags['etcd-compaction-interval'] === '0' ? 0 : parseDuration(flags['etcd-compaction-interval'], '--etcd-compaction-interval');
  watchBookmarkIntervalMs = parseDuration(flags['watch-bookmark-interval'], '--watch-bookmark-interval');
  if (watchBookmarkIntervalMs < 100) throw new Error(`--watch-bookmark-interval must be at least 100ms, not ${flags['watch-bookmark-interval']}`);
  etcdCare = parseEtcdCareFlags({
    interval: flags['etcd-maintenance-interval'],
    defragThreshold: flags['etcd-defrag-threshold'],
    defragMinSize: flags['etcd-defrag-min-size'],
    quotaBackendBytes: flags['etcd-quota-backend-bytes'],
  });
  if (flags['leader-elect'] !== 'true' && flags['leader-elect'] !== 'false') throw new Error(`--leader-elect must be true or false, not ${flags['leader-elect']}`);
  const leaseDurationMs = parseDuration(flags['leader-lease-duration'], '--leader-lease-duration');
  if (leaseDurationMs < 1000) throw new Error(`--leader-lease-duration must be at least 1s (etcd leases are whole seconds), not ${flags['leader-lease-duration']}`);
  const renewDeadline = flags['leader-renew-deadline'];
  const renewDeadlineMs = renewDeadline === undefined ? undefined : parseDuration(renewDeadline, '--leader-renew-deadline');
  if (renewDeadlineMs !== undefined && renewDeadlineMs >= leaseDurationMs) {
    throw new Error(`--leader-renew-deadline (${renewDeadline}) must be shorter than --leader-lease-duration (${flags['leader-lease-duration']}), so a deposed leader stops before its lease expires`);
  }
  leaderElection = {
    enabled: flags['leader-elect'] === 'true',
    leaseDurationMs,
    ...(renewDeadlineMs === undefined ? {} : { renewDeadlineMs }),
    ...(flags['leader-id'] ? { id: flags['leader-id'] } : {}),
  };
} catch (error) {
  process.stderr.write(`skiff-controlplane: ${messageOf(error)}\n`);
  process.exit(2);
}
const serviceNetwork = { clusterIpRange: flags['service-cluster-ip-range'], nodePortRange: flags['service-node-port-range'] };
try {
  parseServiceNetwork(serviceNetwork, flags['pod-network']);
} catch (error) {
  process.stderr.write(`skiff-controlplane: ${messageOf(error)}\n`);
  process.exit(2);
}
const etcdMember = etcdMemberOf(flags);
const etcdEndpoints = list(flags.etcd ?? process.env.SKIFF_ETCD ?? etcdMember?.clientUrl ?? 'http://127.0.0.1:2379');

/** HA mode's local member, from the --etcd-member flags (checked here so a typo exits 2 with the flag's name). */
function etcdMemberOf(values: ReturnType<typeof parseFlags>): EtcdMemberConfig | undefined {
  const name = values['etcd-member'];
  const memberFlags = ['etcd-peer-url', 'etcd-client-url', 'etcd-initial-cluster', 'etcd-join', 'etcd-data-dir'] as const;
  if (name === undefined) {
    const stray = memberFlags.find((flag) => values[flag] !== undefined);
    if (stray) fail(`--${stray} needs --etcd-member NAME (HA mode)`);
    return undefined;
  }
  if (!values['etcd-peer-url'] || !values['etcd-client-url']) fail('--etcd-member needs --etcd-peer-url and --etcd-client-url (https://IP:PORT each)');
  const config: EtcdMemberConfig = {
    name,
    peerUrl: values['etcd-peer-url'],
    clientUrl: values['etcd-client-url'],
    dataDir: values['etcd-data-dir'] ?? join(values['data-dir'], 'etcd'),
    ...(values['etcd-initial-cluster'] !== undefined ? { initialCluster: values['etcd-initial-cluster'] } : {}),
    ...(values['etcd-join'] !== undefined ? { join: list(values['etcd-join']) } : {}),
  };
  try {
    checkEtcdMemberConfig(config);
  } catch (error) {
    fail(messageOf(error));
  }
  return config;
}

function fail(message: string): never {
  process.stderr.write(`skiff-controlplane: ${message}\n`);
  process.exit(2);
}

const log = pino({ name: 'controlplane', level: flags['log-level'] });
const controlPlane = new ControlPlane(
  {
    etcdEndpoints,
    ...(etcdMember ? { etcdMember } : {}),
    grpcAddress: flags.listen,
    httpAddress: flags['http-listen'],
    ...(flags['rest-listen'] === 'off' ? {} : { restAddress: flags['rest-listen'] }),
    shutdownGraceMs: 5000,
    dataDir: flags['data-dir'],
    advertiseAddresses: list(flags['advertise-address']),
    tlsSans: list(flags['tls-san']),
    allowHostPathNamespaces: list(flags['allow-host-path-namespaces']),
    jobBackoffBaseMs,
    nodeCertTtlMs,
    metricsResolutionMs,
    hpaSyncPeriodMs,
    compactionIntervalMs,
    etcdCare,
    watchCacheSize,
    watchBookmarkIntervalMs,
    groupCommit: flags['group-commit'] === 'on',
    leaderElection,
    ...(flags['audit-log']
      ? {
          audit: {
            path: flags['audit-log'],
            maxSize: flags['audit-log-max-size'],
            maxFiles: positiveInteger('audit-log-max-files', flags['audit-log-max-files']),
          },
        }
      : {}),
    schedulingStrategy: strategy,
    podEvictionTimeoutMs: positiveInteger('pod-eviction-timeout-ms', flags['pod-eviction-timeout-ms']),
    serviceNetwork,
    podNetwork: {
      clusterCidr: flags['pod-network'],
      nodeMaskSize: positiveInteger('node-cidr-mask-size', flags['node-cidr-mask-size']),
    },
    nodeTimings: {
      heartbeatIntervalMs: positiveInteger('heartbeat-interval-ms', flags['heartbeat-interval-ms']),
      leaseDurationMs: positiveInteger('lease-duration-ms', flags['lease-duration-ms']),
      maxHeartbeatsPerSecond: positiveInteger('max-heartbeats-per-second', flags['max-heartbeats-per-second']),
    },
  },
  log,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  await controlPlane.stop();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const addresses = await controlPlane.start();
  log.info(addresses, 'control plane listening');
} catch (error) {
  log.fatal({ err: error }, 'control plane failed to start');
  await controlPlane.stop().catch(() => undefined);
  process.exit(1);
}

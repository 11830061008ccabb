// HA mode's local etcd member, a child process the control plane supervises:
// started before the store connects (bootstrapping a new cluster, or joined to
// a running one with MemberAdd first), started again with back-off when it
// exits on its own, and stopped with the control plane. `setpriv --pdeathsig`
// makes the kernel kill it if the control plane dies without stopping it
// (kill -9), so a member never outlives its control plane.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { Backoff, BACKOFF, UnavailableError } from '@skiff/api';
import type { Logger } from 'pino';
import { ensureEtcdClientCertificate, ensureEtcdMemberCertificate, pkiPaths, type ClusterCa } from '../pki/index.js';
import { addEtcdMember } from '../store/index.js';
import { checkEtcdMemberConfig, etcdArgs, memberDir, memberUrlHost, type EtcdMemberConfig } from './etcd-member-config.js';

const SETPRIV = '/usr/bin/setpriv';
/** About a minute of capped back-off: long enough for a cluster that has just started to count as healthy. */
const JOIN_ATTEMPTS = 40;
const STOP_GRACE_MS = 10_000;
const KEPT_LINES = 40;

export class EtcdMember {
  private child?: ChildProcess;
  private stopping = false;
  private readonly lines: string[] = [];
  private supervising?: Promise<void>;

  private constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly log: Logger,
  ) {}

  /**
   * Issues the member's certificate, works out how it starts (its data dir
   * already holds a member: as it was; --etcd-join: MemberAdd, then
   * `existing`; otherwise the static --etcd-initial-cluster, `new`), and
   * starts it. Resolves once etcd is spawned, not once it is healthy: a member
   * of a new cluster waits for a quorum of its peers, which the store's
   * start-up retries ride out.
   */
  static async start(options: { config: EtcdMemberConfig; controlPlaneDataDir: string; ca: ClusterCa; log: Logger }): Promise<EtcdMember> {
    const { config, controlPlaneDataDir, ca } = options;
    checkEtcdMemberConfig(config);
    const log = options.log.child({ component: 'etcd-member', member: config.name });
    const hosts = [...new Set([memberUrlHost('--etcd-peer-url', config.peerUrl), memberUrlHost('--etcd-client-url', config.clientUrl)])];
    await ensureEtcdMemberCertificate(controlPlaneDataDir, ca, { name: config.name, hosts });
    const paths = pkiPaths(controlPlaneDataDir);
    const files = { caFile: paths.caCert, certFile: paths.etcdMemberCert, keyFile: paths.etcdMemberKey };
    // The same CA ⇒ the same token: members of different clusters never mistake each other's peers.
    const token = `skiff-${ca.hash.slice(0, 16)}`;
    let args: string[];
    if (existsSync(memberDir(config))) {
      // etcd ignores the bootstrap flags once its data dir holds a member.
      args = etcdArgs(config, files, `${config.name}=${config.peerUrl}`, config.join ? 'existing' : 'new', token);
      log.info('restarting the local etcd member from its data dir');
    } else if (config.join) {
      const endpoints = [...config.join];
      const client = await ensureEtcdClientCertificate(controlPlaneDataDir, ca);
      const initialCluster = await joinWithRetries(
        () =>
          addEtcdMember(
            { endpoints, tls: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem } },
            { name: config.name, peerUrl: config.peerUrl },
          ),
        log,
      );
      log.info({ initialCluster }, 'added the local etcd member to the running cluster');
      args = etcdArgs(config, files, initialCluster, 'existing', token);
    } else {
      args = etcdArgs(config, files, config.initialCluster ?? '', 'new', token);
    }
    const binary = config.binary ?? process.env['ETCD_BIN'] ?? 'etcd';
    const [command, fullArgs] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
    const member = new EtcdMember(command, fullArgs, log);
    member.supervising = member.supervise();
    return member;
  }

  /** The pid of the running etcd (for tests and diagnostics); undefined between restarts. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Runs etcd until stop(), starting it again (with back-off) whenever it exits on its own. */
  private async supervise(): Promise<void> {
    const backoff = new Backoff(BACKOFF.storeStartup);
    while (!this.stopping) {
      const started = Date.now();
      const exit = await this.runOnce();
      if (this.stopping) return;
      // A run that lasted a while was healthy: its exit is a fresh failure, not a crash loop.
      if (Date.now() - started > 30_000) backoff.reset();
      const waitMs = backoff.next();
      this.log.error({ ...exit, waitMs, output: this.lines.slice(-10).join('\n') }, 'etcd exited; starting it again');
      await delay(waitMs);
    }
  }

  private runOnce(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = spawn(this.command, [...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > KEPT_LINES) this.lines.shift();
        // etcd at --log-level warn: each line is a warning or worse.
        this.log.warn({ etcd: line }, 'etcd');
      });
    }
    return new Promise((resolve) => {
      child.once('error', (error) => {
        this.log.error({ err: error }, 'could not start etcd');
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** SIGTERM (etcd leaves cleanly), SIGKILL after the grace period; resolves once it is gone. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    await this.supervising;
  }
}

/**
 * MemberAdd, retried while etcd is unavailable: it refuses a new member with
 * "unhealthy cluster" until every member has been connected for a few
 * seconds (etcd's strict reconfiguration check), as right after a start.
 * Safe to repeat: addEtcdMember reuses a member it already added.
 */
async function joinWithRetries(add: () => Promise<string>, log: Logger): Promise<string> {
  const backoff = new Backoff(BACKOFF.storeStartup);
  for (;;) {
    try {
      return await add();
    } catch (error) {
      if (!(error instanceof UnavailableError) || backoff.attempts >= JOIN_ATTEMPTS) throw error;
      const waitMs = backoff.next();
      log.warn({ err: error, attempt: backoff.attempts, waitMs }, 'etcd cannot add this member yet; retrying');
      await delay(waitMs);
    }
  }
}

// Debian's dnsmasq as a resolver that tests and benchmarks run themselves
// (never a real one): it answers names from a hosts file on a loopback
// address and port of the caller's choosing, forwards nothing (--no-resolv),
// reads no /etc/hosts and no configuration file, and is stopped by stop().
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { inNetworkNamespace } from './network-namespace-command.js';

export interface StartDnsmasqOptions {
  /** A loopback address (127.0.0.x). */
  readonly address: string;
  readonly port: number;
  /** Lines of a hosts file: `10.1.2.3 name.example`. */
  readonly hosts: readonly string[];
  /** TTL of the hosts file's answers (--local-ttl; default 5, as the cluster DNS). */
  readonly ttl?: number;
  /** Domains answered from the hosts file only (--local=/DOMAIN/): names it lacks there are NXDOMAIN, not REFUSED. */
  readonly localDomains?: readonly string[];
  /** --cache-size (default dnsmasq's 150). */
  readonly cacheSize?: number;
  /** Run inside this network namespace (its loopback), e.g. a multi-host cluster's host, where an agent forwards to it. */
  readonly netns?: string;
  readonly name?: string;
}

export interface RunningDnsmasq {
  readonly address: string;
  readonly port: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startDnsmasq(options: StartDnsmasqOptions): Promise<RunningDnsmasq> {
  if (!options.address.startsWith('127.')) throw new Error(`dnsmasq for tests listens on loopback only, not ${options.address}`);
  const dir = await mkdtemp(join(tmpdir(), 'skiff-dnsmasq-'));
  // dnsmasq drops root for "nobody" and must still read its hosts file.
  await chmod(dir, 0o755);
  const hostsFile = join(dir, 'hosts');
  await writeFile(hostsFile, `${options.hosts.join('\n')}\n`, { mode: 0o644 });
  let process: ManagedProcess | undefined;
  try {
    process = startProcess({
      name: options.name ?? 'dnsmasq',
      ...inNetworkNamespace(options.netns, 'dnsmasq', [
        '--no-daemon',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${hostsFile}`,
        `--listen-address=${options.address}`,
        `--port=${options.port}`,
        '--bind-interfaces',
        '--log-facility=-',
        `--local-ttl=${options.ttl ?? 5}`,
        ...(options.localDomains ?? []).map((domain) => `--local=/${domain}/`),
        ...(options.cacheSize !== undefined ? [`--cache-size=${options.cacheSize}`] : []),
      ]),
    });
    await process.waitForLine(/read .*hosts - \d+ names/, 10_000);
  } catch (error) {
    await process?.stop(1000);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = process;
  return {
    address: options.address,
    port: options.port,
    process: running,
    async stop() {
      await running.stop(2000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

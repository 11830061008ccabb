// Several skiff-controlplane processes against one real etcd, for the leader
// election suites (test/chaos/leader-*.test.ts) and bench:leader-failover: each instance may dial etcd
// through a TCP proxy of its own (tcp-proxy.ts), which a test cuts to
// partition that instance from etcd. The instances share one data dir (one
// cluster CA, one Secrets key); the first creates it, the others start after
// it and load it. Leadership is read from each instance's /readyz.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdServer } from './etcd.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { nodeFlagsOf } from './node-flags.js';
import { CONTROLPLANE_MAIN } from './repo-paths.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { waitFor } from './wait-for.js';

export interface HaInstance {
  readonly index: number;
  /** The current process (a new one after restart()). */
  readonly process: ManagedProcess;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  /** Between this instance and etcd. */
  readonly proxy: TcpProxy;
}

export interface Leadership {
  readonly role: 'leader' | 'standby' | 'down';
  readonly term?: number;
  readonly detail: string;
}

export interface LeaderCluster {
  readonly etcd: EtcdServer;
  readonly dataDir: string;
  readonly adminKubeconfig: string;
  readonly tokenFile: string;
  readonly instances: HaInstance[];
  /** What /readyz of instance `index` says about leadership. */
  leadership(index: number): Promise<Leadership>;
  /** The one instance that says it leads (waits up to `timeoutMs`; fails if two say so at once). */
  leader(timeoutMs?: number, except?: number): Promise<{ instance: HaInstance; term: number }>;
  /** Starts instance `index` again (after a kill9), on new ports, through the same proxy. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaderClusterOptions {
  readonly controlPlanes: number;
  readonly args?: readonly string[];
}

const START_TIMEOUT_MS = 60_000;

export async function startLeaderCluster(options: LeaderClusterOptions): Promise<LeaderCluster> {
  const etcd = await startEtcd();
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-leader-cluster-'));
  const instances: HaInstance[] = [];
  const proxies: TcpProxy[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(instances.map((instance) => instance.process.stop()));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await etcd.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const etcdUrl = new URL(etcd.endpoint);
    let adminKubeconfig = '';
    let tokenFile = '';
    const launch = async (index: number, proxy: TcpProxy): Promise<HaInstance> => {
      const child = startProcess({
        name: `controlplane-${index}`,
        command: process.execPath,
        args: [
          ...nodeFlagsOf(CONTROLPLANE_MAIN),
          CONTROLPLANE_MAIN,
          '--etcd', `http://${proxy.address}`,
          '--data-dir', dataDir,
          '--listen', '127.0.0.1:0',
          '--http-listen', '127.0.0.1:0',
          // The REST API's default :6443 would be taken by the first of the planes.
          '--rest-listen', '127.0.0.1:0',
          '--leader-id', `cp-${index}`,
          '--etcd-compaction-interval', '0',
          '--log-level', 'info',
          ...(options.args ?? []),
        ],
      });
      let line: string;
      try {
        [line] = await child.waitForLine(/^\{.*"msg":"control plane listening".*\}$/, START_TIMEOUT_MS);
      } catch (error) {
        await child.stop();
        throw new Error(`control plane ${index} did not start: ${(error as Error).message}\n${child.output()}`, { cause: error });
      }
      const announced = JSON.parse(line) as { grpcAddress: string; httpAddress: string; adminKubeconfig: string; tokenFile: string };
      adminKubeconfig = announced.adminKubeconfig;
      tokenFile = announced.tokenFile;
      return { index, process: child, grpcAddress: announced.grpcAddress, httpAddress: announced.httpAddress, proxy };
    };
    for (let index = 0; index < options.controlPlanes; index++) {
      const proxy = await startTcpProxy({ host: etcdUrl.hostname, port: Number(etcdUrl.port) });
      proxies.push(proxy);
      instances.push(await launch(index, proxy));
    }
    const leadership = async (index: number): Promise<Leadership> => {
      const instance = instances[index];
      if (!instance?.process.running) return { role: 'down', detail: 'not running' };
      try {
        const body = await (await fetch(`http://${instance.httpAddress}/readyz`, { signal: AbortSignal.timeout(2000) })).text();
        const detail = /\[[+-]\]leadership (.*)/.exec(body)?.[1] ?? body;
        const term = /^leader \(term (\d+)\)/.exec(detail)?.[1];
        return term ? { role: 'leader', term: Number(term), detail } : { role: 'standby', detail };
      } catch (error) {
        return { role: 'down', detail: (error as Error).message };
      }
    };
    return {
      etcd,
      dataDir,
      adminKubeconfig,
      tokenFile,
      instances,
      leadership,
      leader: (timeoutMs = 30_000, except) =>
        waitFor(
          async () => {
            const all = await Promise.all(instances.map((instance) => leadership(instance.index)));
            const leaders = all.flatMap((state, index) => (state.role === 'leader' && index !== except ? [{ instance: instances[index]!, term: state.term! }] : []));
            if (leaders.length > 1 && new Set(leaders.map((l) => l.term)).size === 1) {
              throw new Error(`two instances lead term ${leaders[0]!.term}: ${leaders.map((l) => l.instance.index).join(', ')}`);
            }
            // Two at different terms: the old one has not noticed yet; the newest term is the leader.
            return leaders.sort((a, b) => b.term - a.term)[0];
          },
          { timeoutMs, intervalMs: 50, description: 'one control plane to lead' },
        ),
      restart: async (index) => {
        const old = instances[index];
        if (!old) throw new Error(`no control plane ${index}`);
        await old.process.stop();
        instances[index] = await launch(index, old.proxy);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

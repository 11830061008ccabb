// A throw-away single-member etcd for tests: random ports on 127.0.0.1, its
// own data dir (on tmpfs when available), the flags in etcdArgs() below.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { onAbnormalExit, startProcess, type ManagedProcess } from './managed-process.js';
import { inNetworkNamespace } from './network-namespace-command.js';
import { waitFor } from './wait-for.js';

export interface StartEtcdOptions {
  /** Use (and keep) this data dir instead of a fresh temporary one. */
  dataDir?: string;
  /** Fixed client port (e.g. 2379 for a development cluster); a free random one otherwise. */
  clientPort?: number;
  /** Fixed peer port; a free random one otherwise. */
  peerPort?: number;
  /** How long to wait for /health (default 20 s; etcd is usually ready in < 1 s). */
  readyTimeoutMs?: number;
  /**
   * Run etcd inside this network namespace: its 127.0.0.1 is then the
   * namespace's own, reachable only by processes inside it (e.g. a control
   * plane started there too).
   */
  netns?: string;
  /** More etcd flags, e.g. ['--quota-backend-bytes', '8388608']. */
  extraArgs?: readonly string[];
}

export interface EtcdServer {
  /** http://127.0.0.1:PORT, as etcd clients want it (inside `netns` when there is one). */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** The current etcd process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Stops etcd and removes its data dir unless the caller supplied it. Idempotent. */
  stop(): Promise<void>;
  /** Stops etcd and starts it again on the same ports and data. */
  restart(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
// freePort() releases the port before etcd binds it: another process can win
// that race. Rare, so a couple of fresh attempts are enough.
const PORT_ATTEMPTS = 3;

function etcdBinary(): string {
  // spawn() searches PATH for a bare name, so "etcd" is enough when unset.
  return process.env['ETCD_BIN'] ?? 'etcd';
}

function baseDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

function etcdArgs(dataDir: string, clientPort: number, peerPort: number, extraArgs: readonly string[]): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name', 'n1',
    '--data-dir', dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `n1=${peer}`,
    '--initial-cluster-state', 'new',
    '--log-level', 'warn',
    // Faster raft timing, as the HA set-up uses: etcd's minimum lease TTL is
    // ceil(1.5 × election timeout), so 1 s leader-election leases are honoured (not rounded up to 2 s).
    '--heartbeat-interval', '100',
    '--election-timeout', '500',
    ...extraArgs,
  ];
}

async function launch(dataDir: string, clientPort: number, peerPort: number, readyTimeoutMs: number, netns: string | undefined, extraArgs: readonly string[] = []): Promise<ManagedProcess> {
  const child = startProcess({
    name: `etcd:${clientPort}`,
    ...inNetworkNamespace(netns, etcdBinary(), etcdArgs(dataDir, clientPort, peerPort, extraArgs)),
  });
  const url = `http://127.0.0.1:${clientPort}/health`;
  let exitedEarly = false;
  void child.exited.then(() => {
    exitedEarly = true;
  });
  try {
    await waitFor(
      async () => {
        if (exitedEarly) throw new ExitedError();
        return (await healthOf(url, netns)) === 'true' ? true : undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 25, description: `etcd to report healthy at ${url}` },
    );
    return child;
  } catch (error) {
    await child.stop(1000);
    const reason = exitedEarly ? 'etcd exited during start-up' : error instanceof Error ? error.message : String(error);
    throw new EtcdStartError(`${reason}\n--- etcd output ---\n${child.output()}`, child.output(), { cause: error });
  }
}

const HEALTH_SCRIPT = `fetch(process.argv[1], { signal: AbortSignal.timeout(1000) })
  .then((response) => response.json())
  .then((body) => process.stdout.write(String(body.health)), (error) => { process.stderr.write(String(error)); process.exitCode = 1; });`;

/** What GET /health says about `health`; from inside `netns` (a short-lived client there) when given. */
async function healthOf(url: string, netns: string | undefined): Promise<unknown> {
  if (netns === undefined) {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return ((await response.json()) as { health?: unknown }).health;
  }
  const { command, args } = inNetworkNamespace(netns, process.execPath, ['-e', HEALTH_SCRIPT, url]);
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 5000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${url} from inside ${netns}: ${stderr.trim() || error.message}`)) : resolve(stdout),
    );
  });
}

class ExitedError extends Error {
  constructor() {
    super('etcd exited');
  }
}

class EtcdStartError extends Error {
  constructor(
    message: string,
    readonly processOutput: string,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

function portClash(error: unknown): boolean {
  return error instanceof EtcdStartError && /address already in use/i.test(error.processOutput);
}

class Server implements EtcdServer {
  private stopped: Promise<void> | undefined;

  constructor(
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private current: ManagedProcess,
    private readonly readyTimeoutMs: number,
    private readonly forgetDir: () => void,
    private readonly netns: string | undefined,
    private readonly extraArgs: readonly string[],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get process(): ManagedProcess {
    return this.current;
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.current.stop();
      if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
      this.forgetDir();
    })();
    return this.stopped;
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('etcd: restart() after stop()');
    await this.current.stop();
    this.current = await launch(this.dataDir, this.clientPort, this.peerPort, this.readyTimeoutMs, this.netns, this.extraArgs);
  }
}

/** Starts etcd and resolves once it answers /health; throws with its output otherwise. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(baseDir(), 'skiff-etcd-')));
  // A test run that dies without calling stop() must not leave data dirs
  // filling /dev/shm (it is RAM).
  const forgetDir = ownsDataDir ? onAbnormalExit(() => rmSync(dataDir, { recursive: true, force: true })) : () => undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const clientPort = options.clientPort ?? (await freePort());
      let peerPort = options.peerPort ?? (await freePort());
      while (peerPort === clientPort && options.peerPort === undefined) peerPort = await freePort();
      try {
        const extraArgs = options.extraArgs ?? [];
        const child = await launch(dataDir, clientPort, peerPort, readyTimeoutMs, options.netns, extraArgs);
        return new Server(clientPort, peerPort, dataDir, ownsDataDir, child, readyTimeoutMs, forgetDir, options.netns, extraArgs);
      } catch (error) {
        const randomPorts = options.clientPort === undefined || options.peerPort === undefined;
        if (attempt >= PORT_ATTEMPTS || !randomPorts || !portClash(error)) throw error;
        // A failed first boot can leave a half-initialised member dir that
        // names the old peer URL; start the next attempt from an empty dir.
        if (ownsDataDir) {
          await rm(dataDir, { recursive: true, force: true });
        }
      }
    }
  } catch (error) {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    forgetDir();
    throw error;
  }
}

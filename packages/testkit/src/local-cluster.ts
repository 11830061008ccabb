// A whole Skiff cluster on this machine, as real processes: its own etcd and
// the control plane. End-to-end suites and `npm run cluster` both use it.
import { startEtcd, type EtcdServer } from './etcd.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { CONTROLPLANE_MAIN } from './repo-paths.js';
import { runCtl, type CtlResult, type RunCtlOptions } from './run-ctl.js';

export interface LocalClusterOptions {
  /** etcd data dir to use and keep; a fresh temporary one otherwise. */
  readonly dataDir?: string;
  readonly etcdClientPort?: number;
  readonly etcdPeerPort?: number;
  /** Control plane addresses; port 0 (the default) picks free ports. */
  readonly grpcAddress?: string;
  readonly httpAddress?: string;
  readonly logLevel?: string;
}

export interface LocalCluster {
  readonly etcd: EtcdServer;
  readonly controlPlane: ManagedProcess;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  ctl(args: readonly string[], options?: RunCtlOptions): Promise<CtlResult>;
  /** Stops the control plane, then etcd. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const etcd = await startEtcd({
    dataDir: options.dataDir,
    clientPort: options.etcdClientPort,
    peerPort: options.etcdPeerPort,
  });
  try {
    const started = await startControlPlane(etcd.endpoint, options);
    let stopping: Promise<void> | undefined;
    return {
      etcd,
      ...started,
      ctl: (args, ctlOptions) => runCtl(started.grpcAddress, args, ctlOptions),
      stop: () =>
        (stopping ??= (async () => {
          await started.controlPlane.stop();
          await etcd.stop();
        })()),
    };
  } catch (error) {
    await etcd.stop();
    throw error;
  }
}

async function startControlPlane(
  etcdEndpoint: string,
  options: LocalClusterOptions,
): Promise<{ controlPlane: ManagedProcess; grpcAddress: string; httpAddress: string }> {
  const controlPlane = startProcess({
    name: 'controlplane',
    command: process.execPath,
    args: [
      CONTROLPLANE_MAIN,
      '--etcd', etcdEndpoint,
      '--listen', options.grpcAddress ?? '127.0.0.1:0',
      '--http-listen', options.httpAddress ?? '127.0.0.1:0',
      '--log-level', options.logLevel ?? 'info',
    ],
  });
  try {
    const [line] = await controlPlane.waitForLine(/^\{.*"msg":"control plane listening".*\}$/, START_TIMEOUT_MS);
    const announced = JSON.parse(line) as { grpcAddress: string; httpAddress: string };
    return { controlPlane, grpcAddress: announced.grpcAddress, httpAddress: announced.httpAddress };
  } catch (error) {
    await controlPlane.stop();
    throw new Error(`control plane did not start: ${(error as Error).message}\n--- its output ---\n${controlPlane.output()}`, {
      cause: error,
    });
  }
}

// What every command needs from the outside world, in one place so tests and
// main.ts can supply it.
import { homedir } from 'node:os';
import type { Writable } from 'node:stream';
import { SkiffClient } from './client.js';
import { defaultNamespace, resolveConnection, type ConnectionFlags } from './connection/connection.js';
import { locateKubeconfig, readKubeconfig, type Environment, type KubeconfigFile } from './kubeconfig/kubeconfig-file.js';

export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly readStdin: () => Promise<string>;
  /** The clock ages are measured against ("5s", "3m"); tests pin it. */
  readonly now: () => Date;
  /** The client for the chosen kubeconfig context; created on first use. */
  client(): SkiffClient;
  /** -n's default: the chosen context's namespace, else "default". */
  defaultNamespace(): string;
  /** The kubeconfig ctl reads (--kubeconfig, SKIFF_CONFIG, KUBECONFIG, ~/.skiff/config); read on first use. */
  kubeconfig(): KubeconfigFile;
  /** The global flags, as parsed. */
  readonly flags: ConnectionFlags;
  close(): void;
}

const PROCESS_ENVIRONMENT: Environment = { env: process.env, home: homedir() };

/** A client as ctl would connect with these flags: for test harnesses and programs embedding ctl. */
export function connect(flags: ConnectionFlags, environment: Environment = PROCESS_ENVIRONMENT): SkiffClient {
  return new SkiffClient(resolveConnection(flags, readKubeconfig(locateKubeconfig(flags.kubeconfig, environment))));
}

export function createContext(
  flags: ConnectionFlags,
  io: Pick<CliContext, 'stdout' | 'stderr' | 'readStdin'> & Partial<Pick<CliContext, 'now'>>,
  environment: Environment = PROCESS_ENVIRONMENT,
): CliContext {
  let client: SkiffClient | undefined;
  let file: KubeconfigFile | undefined;
  const kubeconfig = (): KubeconfigFile => (file ??= readKubeconfig(locateKubeconfig(flags.kubeconfig, environment)));
  return {
    now: () => new Date(),
    ...io,
    flags,
    kubeconfig,
    defaultNamespace: () => defaultNamespace(flags, kubeconfig()),
    client() {
      client ??= new SkiffClient(resolveConnection(flags, kubeconfig()));
      return client;
    },
    close() {
      client?.close();
    },
  };
}

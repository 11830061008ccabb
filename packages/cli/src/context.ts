// What every command needs from the outside world, in one place so tests and
// main.ts can supply it.
import { homedir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { SkiffClient } from './client.js';
import { defaultNamespace, resolveConnection, type ConnectionFlags } from './connection/connection.js';
import { locateKubeconfig, readKubeconfig, type Environment, type KubeconfigFile } from './kubeconfig/kubeconfig-file.js';

/** ctl's own stdin as a stream, and the terminal around it (ctl exec -i/-t). */
export interface CliTerminal {
  readonly stdin: Readable;
  /** Whether stdin is a terminal (then it can be raw, and has a size). */
  readonly isTerminal: boolean;
  /** Raw mode on the terminal (keys pass as typed, ^C included); restored with false. */
  setRaw(raw: boolean): void;
  /** The terminal's size, columns × rows. */
  size(): { readonly width: number; readonly height: number } | undefined;
  /** Calls `listener` when the terminal is resized (SIGWINCH); returns the unsubscribe. */
  onResize(listener: () => void): () => void;
}

export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly readStdin: () => Promise<string>;
  /** stdin as a stream and the terminal around it; absent: stdin is empty. */
  readonly terminal?: CliTerminal;
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
  io: Pick<CliContext, 'stdout' | 'stderr' | 'readStdin'> & Partial<Pick<CliContext, 'now' | 'terminal'>>,
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

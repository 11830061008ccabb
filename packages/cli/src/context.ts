// What every command needs from the outside world, in one place so tests and
// main.ts can supply it.
import type { Writable } from 'node:stream';
import { SkiffClient } from './client.js';
import { resolveServer } from './config.js';

export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly readStdin: () => Promise<string>;
  /** The clock ages are measured against ("5s", "3m"); tests pin it. */
  readonly now: () => Date;
  /** The client for --server / SKIFF_SERVER / config file; created on first use. */
  client(): SkiffClient;
  close(): void;
}

export function createContext(
  serverFlag: () => string | undefined,
  io: Pick<CliContext, 'stdout' | 'stderr' | 'readStdin'> & Partial<Pick<CliContext, 'now'>>,
): CliContext {
  let client: SkiffClient | undefined;
  return {
    now: () => new Date(),
    ...io,
    client() {
      client ??= new SkiffClient(resolveServer(serverFlag()));
      return client;
    },
    close() {
      client?.close();
    },
  };
}

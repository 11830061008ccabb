// What the subcommands (token, snapshot, rotate-secrets-key) share: their
// output streams, the defaults every one of them takes, and how a command line
// is read: node:util parseArgs in strict mode, --help printing the usage (exit
// 0), a bad flag printing the error and the usage (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { messageOf } from '@skiff/api';

export interface CommandOutput {
  write(text: string): unknown;
}

export interface CommandIo {
  readonly stdout: CommandOutput;
  readonly stderr: CommandOutput;
  /** Environment variables consulted for defaults (default: the process's). */
  readonly env?: NodeJS.ProcessEnv;
}

export const DEFAULT_DATA_DIR = '/var/lib/skiff/controlplane';
export const DEFAULT_ETCD = 'http://127.0.0.1:2379';

type Options = NonNullable<ParseArgsConfig['options']>;

/** --data-dir, --etcd (env SKIFF_ETCD) and --help, which every subcommand takes. */
export function commonOptions(io: CommandIo) {
  return {
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    etcd: { type: 'string', default: (io.env ?? process.env)['SKIFF_ETCD'] ?? DEFAULT_ETCD },
    help: { type: 'boolean', short: 'h', default: false },
  } as const satisfies Options;
}

export interface CommandLine<V> {
  readonly values: V;
  readonly positionals: string[];
}

/**
 * The flags and positionals of `argv`, or the exit code when the command is
 * already answered: 0 after printing the usage for --help, 2 after a bad flag.
 * `V` is the flags' shape, as the options declare them.
 */
export function readCommandLine<V>(
  argv: readonly string[],
  io: CommandIo,
  command: { readonly prefix: string; readonly usage: string; readonly options: Options; readonly positionals: boolean },
): CommandLine<V> | number {
  let parsed: CommandLine<V>;
  try {
    parsed = parseArgs({ args: [...argv], options: command.options, strict: true, allowPositionals: command.positionals }) as unknown as CommandLine<V>;
  } catch (error) {
    io.stderr.write(`${command.prefix}: ${messageOf(error)}\n${command.usage}\n`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return parsed;
}

/** The comma-separated URLs of --etcd, trimmed, empty ones dropped. */
export function etcdEndpointsOf(flag: string): string[] {
  return flag.split(',').map((url) => url.trim()).filter(Boolean);
}

// `skiff-controlplane rotate-secrets-key`: puts a fresh key first in the data
// dir's secrets encryption key file and rewrites every Secret under it (see
// objects/secret-key-rotation.ts). Running control planes sharing that key
// file pick the new key up by themselves; nothing needs restarting.
import { join } from 'node:path';
import { messageOf } from '@skiff/api';
import { SECRETS_KEY_FILE } from '../objects/secret-encryption-keys.js';
import { rotateSecretsKey } from '../objects/secret-key-rotation.js';
import { readEtcdStoreTls } from '../etcd-member/index.js';
import { EtcdStore } from '../store/index.js';
import { commonOptions, DEFAULT_DATA_DIR, DEFAULT_ETCD, etcdEndpointsOf, readCommandLine, type CommandIo } from './command-line.js';

const PREFIX = 'skiff-controlplane rotate-secrets-key';

const USAGE = `usage: skiff-controlplane rotate-secrets-key [--data-dir DIR] [--etcd URLS]
  Adds a fresh key at the front of DIR/${SECRETS_KEY_FILE} and re-encrypts every Secret with it.
  Older keys stay in the file (they still decrypt); remove them by hand once this has succeeded.
  --data-dir   the control plane's data dir (default ${DEFAULT_DATA_DIR})
  --etcd       comma-separated etcd client URLs (env SKIFF_ETCD; default ${DEFAULT_ETCD})`;

/** Runs the subcommand with the arguments after its name; resolves to the process's exit code. */
export async function runRotateSecretsKey(argv: readonly string[], io: CommandIo): Promise<number> {
  const line = readCommandLine<{ 'data-dir': string; etcd: string; help: boolean }>(argv, io, {
    prefix: PREFIX,
    usage: USAGE,
    options: commonOptions(io),
    positionals: false,
  });
  if (typeof line === 'number') return line;
  const { values } = line;
  const endpoints = etcdEndpointsOf(values.etcd);
  if (endpoints.length === 0) {
    io.stderr.write(`${PREFIX}: --etcd needs at least one URL, e.g. ${DEFAULT_ETCD}\n`);
    return 2;
  }

  let store: EtcdStore | undefined;
  try {
    const tls = await readEtcdStoreTls(values['data-dir'], endpoints);
    store = await EtcdStore.connect({ endpoints, ...(tls ? { tls } : {}) });
    const result = await rotateSecretsKey({ store, keyFilePath: join(values['data-dir'], SECRETS_KEY_FILE) });
    io.stdout.write(`rotated: ${result.rewritten} ${result.rewritten === 1 ? 'secret' : 'secrets'} now under key ${result.keyName}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`${PREFIX}: ${messageOf(error)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

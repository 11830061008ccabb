// `skiff-controlplane snapshot save FILE` and `snapshot restore FILE
// --etcd-data-dir DIR`: the backup and disaster recovery of a cluster's etcd.
// save streams a consistent snapshot (store/etcd-snapshot.ts). restore
// delegates the rewrite of the bbolt file and the new member's WAL to
// Debian's `etcdctl snapshot restore` (etcd-client), which checks the
// snapshot's hash and gives the data a fresh cluster identity: a well-kept
// tool beats re-implementing etcd's on-disk format. Secrets in a snapshot stay
// encrypted with the data dir's key (DIR/secrets-encryption-key): keep it with the snapshot.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '@skiff/api';
import { readEtcdStoreTls } from '../etcd-member/index.js';
import { saveSnapshot } from '../store/index.js';
import { commonOptions, DEFAULT_DATA_DIR, DEFAULT_ETCD, etcdEndpointsOf, readCommandLine, type CommandIo } from './command-line.js';

const PREFIX = 'skiff-controlplane snapshot';
const run = promisify(execFile);

const USAGE = `usage: skiff-controlplane snapshot save FILE [--etcd URLS] [--data-dir DIR]
       skiff-controlplane snapshot restore FILE --etcd-data-dir DIR [--name NAME --initial-cluster NAME=PEER_URL,…
                          --initial-advertise-peer-urls PEER_URL --initial-cluster-token TOKEN]
  save      writes a consistent snapshot of etcd (from the first URL) to FILE atomically; prints its size,
            SHA-256 and revision. Keep the control plane's data dir (its secrets-encryption-key) with it.
  restore   builds a fresh etcd data dir DIR from FILE with etcdctl snapshot restore (Debian's etcd-client);
            DIR must not exist or be empty. Start etcd on DIR with the same --name and peer URLs, then the
            control plane with the data dir the snapshot was taken with.
  --etcd       comma-separated etcd client URLs (env SKIFF_ETCD; default ${DEFAULT_ETCD})
  --data-dir   the control plane's data dir, whose etcd client certificate https URLs need
               (default ${DEFAULT_DATA_DIR})
  --etcdctl    the etcdctl binary (env ETCDCTL_BIN; default etcdctl)`;

interface SnapshotFlags {
  etcd: string;
  'data-dir': string;
  'etcd-data-dir'?: string;
  name?: string;
  'initial-cluster'?: string;
  'initial-advertise-peer-urls'?: string;
  'initial-cluster-token'?: string;
  etcdctl: string;
  help: boolean;
}

export async function runSnapshotCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const env = io.env ?? process.env;
  const line = readCommandLine<SnapshotFlags>(argv, io, {
    prefix: PREFIX,
    usage: USAGE,
    options: {
      ...commonOptions(io),
      'etcd-data-dir': { type: 'string' },
      name: { type: 'string' },
      'initial-cluster': { type: 'string' },
      'initial-advertise-peer-urls': { type: 'string' },
      'initial-cluster-token': { type: 'string' },
      etcdctl: { type: 'string', default: env['ETCDCTL_BIN'] ?? 'etcdctl' },
    },
    positionals: true,
  });
  if (typeof line === 'number') return line;
  const { values, positionals } = line;
  const [verb, file, ...rest] = positionals;
  if ((verb !== 'save' && verb !== 'restore') || file === undefined || rest.length > 0) {
    io.stderr.write(`${PREFIX}: expected save FILE or restore FILE, not "${positionals.join(' ')}"\n${USAGE}\n`);
    return 2;
  }
  try {
    if (verb === 'save') {
      const endpoints = etcdEndpointsOf(values.etcd);
      const tls = await readEtcdStoreTls(values['data-dir'], endpoints);
      const saved = await saveSnapshot({ endpoints, ...(tls ? { tls } : {}) }, resolve(file));
      io.stdout.write(`saved ${saved.path}: ${saved.bytes} bytes, sha256 ${saved.sha256}, revision ${saved.revision} (from ${saved.endpoint})\n`);
      return 0;
    }
    const dataDir = values['etcd-data-dir'];
    if (!dataDir) {
      io.stderr.write(`${PREFIX} restore: --etcd-data-dir DIR is required (a fresh directory for the restored member)\n${USAGE}\n`);
      return 2;
    }
    await restoreSnapshot(resolve(file), resolve(dataDir), values);
    io.stdout.write(`restored ${file} into ${dataDir}; start etcd with --data-dir ${dataDir}${values.name ? ` --name ${values.name}` : ''} and the same peer URLs\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`${PREFIX} ${verb}: ${messageOf(error)}\n`);
    return 1;
  }
}

async function restoreSnapshot(file: string, dataDir: string, flags: SnapshotFlags): Promise<void> {
  await stat(file).catch((error: unknown) => {
    throw new Error(`cannot read snapshot ${file}: ${messageOf(error)}`);
  });
  const existing = await readdir(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`cannot read --etcd-data-dir ${dataDir}: ${error.message}`);
  });
  if (existing && existing.length > 0) {
    throw new Error(
      `--etcd-data-dir ${dataDir} is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}): ` +
        'restore only into a fresh directory; move the old member data aside first',
    );
  }
  // etcdctl refuses a directory that exists: restore beside it, then move it in place,
  // so a failed restore leaves nothing behind.
  const staging = await mkdtemp(join(dirname(dataDir), `.${basename(dataDir)}.restoring-`));
  const target = join(staging, 'data');
  const optional = (flag: keyof SnapshotFlags): string[] => (flags[flag] ? [`--${flag}=${String(flags[flag])}`] : []);
  try {
    await run(
      flags.etcdctl,
      ['snapshot', 'restore', file, `--data-dir=${target}`, ...optional('name'), ...optional('initial-cluster'), ...optional('initial-advertise-peer-urls'), ...optional('initial-cluster-token')],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10 * 60_000 },
    ).catch((error: { stderr?: string; code?: string; message: string }) => {
      if (error.code === 'ENOENT') throw new Error(`${flags.etcdctl} not found: install etcdctl (Debian: apt-get install etcd-client) or pass --etcdctl PATH`);
      throw new Error(`etcdctl snapshot restore failed: ${(error.stderr ?? '').trim() || error.message}`);
    });
    if (existing) await rmdir(dataDir);
    await rename(target, dataDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

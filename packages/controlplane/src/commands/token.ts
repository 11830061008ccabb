// `skiff-controlplane token create|list|delete`: join tokens for agents, as
// kubeadm's `token` verbs. Talks to etcd directly (whoever can reach etcd owns
// the cluster anyway) with the data dir's keys, so tokens are encrypted at
// rest like every Secret; only a token's hash is stored.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatJoinToken, messageOf, parseDuration, toTimestamp } from '@skiff/api';
import { caCertificateHash } from '@skiff/api/x509';
import { JoinTokens } from '../nodes/join-tokens.js';
import { EncryptedSecretCodec } from '../objects/encrypted-secret-codec.js';
import { ObjectStore } from '../objects/object-store.js';
import { SECRETS_KEY_FILE } from '../objects/secret-encryption-keys.js';
import { pkiPaths } from '../pki/index.js';
import { readEtcdStoreTls } from '../etcd-member/index.js';
import { EtcdStore } from '../store/index.js';
import { commonOptions, DEFAULT_DATA_DIR, DEFAULT_ETCD, etcdEndpointsOf, readCommandLine, type CommandIo } from './command-line.js';

const PREFIX = 'skiff-controlplane token';

const USAGE = `usage: skiff-controlplane token create [--ttl 24h] [--description TEXT] | list | delete ID  [--data-dir DIR] [--etcd URLS]
  create   prints a new join token (SKF10<CA hash>::<id>.<secret>) for skiff-agent --token; --ttl 0 never expires (default 24h)
  list     the tokens: ID, TTL, EXPIRES, DESCRIPTION (secrets are stored only as hashes)
  delete   deletes a token; nodes that joined with it lose their certificates
  --data-dir   the control plane's data dir (default ${DEFAULT_DATA_DIR})
  --etcd       comma-separated etcd client URLs (env SKIFF_ETCD; default ${DEFAULT_ETCD})`;

export async function runTokenCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const line = readCommandLine<{ 'data-dir': string; etcd: string; ttl: string; description: string; help: boolean }>(argv, io, {
    prefix: PREFIX,
    usage: USAGE,
    options: { ...commonOptions(io), ttl: { type: 'string', default: '24h' }, description: { type: 'string', default: '' } },
    positionals: true,
  });
  if (typeof line === 'number') return line;
  const { values, positionals } = line;
  const [verb, ...rest] = positionals;
  if (verb === undefined) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!['create', 'list', 'delete'].includes(verb) || (verb === 'delete') !== (rest.length === 1) || (verb !== 'delete' && rest.length > 0)) {
    io.stderr.write(`${PREFIX}: expected create, list or delete ID, not "${positionals.join(' ')}"\n${USAGE}\n`);
    return 2;
  }
  const dataDir = values['data-dir'];
  let store: EtcdStore | undefined;
  try {
    const ttlMs = values.ttl === '0' ? undefined : parseDuration(values.ttl, '--ttl');
    const secrets = await EncryptedSecretCodec.open(join(dataDir, SECRETS_KEY_FILE));
    const endpoints = etcdEndpointsOf(values.etcd);
    const tls = await readEtcdStoreTls(dataDir, endpoints);
    store = await EtcdStore.connect({ endpoints, ...(tls ? { tls } : {}) });
    const tokens = new JoinTokens(new ObjectStore(store, { secrets }));
    if (verb === 'create') {
      const caHash = caCertificateHash(await readFile(pkiPaths(dataDir).caCert, 'utf8'));
      const created = await tokens.create({ ...(ttlMs === undefined ? {} : { ttlMs }), description: values.description });
      io.stdout.write(`${formatJoinToken({ caHash, id: created.id, secret: created.secret })}\n`);
    } else if (verb === 'list') {
      io.stdout.write(formatTokenTable(await tokens.list(), new Date()));
    } else {
      await tokens.delete(rest[0] ?? '');
      io.stdout.write(`token "${rest[0]}" deleted\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`${PREFIX} ${verb}: ${messageOf(error)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

/** kubeadm's table: TOKEN-ID  TTL  EXPIRES  DESCRIPTION. */
export function formatTokenTable(tokens: readonly { id: string; description: string; expiresAt: Date | undefined }[], now: Date): string {
  const rows = [['ID', 'TTL', 'EXPIRES', 'DESCRIPTION']];
  for (const token of [...tokens].sort((a, b) => a.id.localeCompare(b.id))) {
    const left = token.expiresAt ? token.expiresAt.getTime() - now.getTime() : undefined;
    const ttl = left === undefined ? '<forever>' : left <= 0 ? '<expired>' : `${Math.floor(left / 3_600_000)}h${Math.floor((left % 3_600_000) / 60_000)}m`;
    rows.push([token.id, ttl, token.expiresAt ? toTimestamp(token.expiresAt) : '<never>', token.description || '<none>']);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

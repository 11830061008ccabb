// A consistent snapshot of etcd through its Maintenance Snapshot stream: the
// member sends its whole bbolt database as of one revision, followed by the
// SHA-256 of it (which `etcdctl snapshot restore` checks), exactly what
// `etcdctl snapshot save` writes. The stream goes to a temporary file beside
// the target, flushed, then renamed: a reader sees no file or a whole one.
// (writeFileAtomic in @skiff/api holds its data in memory; a database of
// gigabytes must be streamed, hence this writer of its own.)
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EtcdConnection, type EtcdStoreOptions } from './etcd-client.js';

export interface SavedSnapshot {
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** The store revision the snapshot holds. */
  readonly revision: number;
  /** The endpoint that sent it. */
  readonly endpoint: string;
}

/** Saves a snapshot from the first endpoint to `path` (replacing a file there). */
export async function saveSnapshot(options: EtcdStoreOptions, path: string): Promise<SavedSnapshot> {
  const endpoint = options.endpoints[0];
  if (endpoint === undefined) throw new Error('snapshot save needs an etcd endpoint');
  const connection = new EtcdConnection({ ...options, endpoints: [endpoint] });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const file = await open(temp, 'wx', 0o600);
    const hash = createHash('sha256');
    let bytes = 0;
    let revision = 0;
    try {
      const stream = await connection.call('snapshot', () => connection.client.maintenance.snapshot());
      // etcd3 types the stream narrowly; it is grpc-js's ClientReadableStream, a Readable:
      // pausing it while a chunk is written keeps a fast etcd from filling memory on a slow disk.
      const readable = stream as unknown as { pause(): void; resume(): void };
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        let writing = Promise.resolve();
        stream.on('data', (chunk) => {
          if (revision === 0 && chunk.header) revision = Number(chunk.header.revision);
          const blob = Buffer.from(chunk.blob);
          hash.update(blob);
          bytes += blob.length;
          readable.pause();
          writing = file.write(blob).then(
            () => readable.resume(),
            (error: unknown) => {
              failed = true;
              reject(error);
            },
          );
        });
        stream.on('error', (error) => reject(connection.toStoreError('snapshot', error)));
        stream.on('end', () => void writing.then(() => (failed ? undefined : resolve())));
      });
      await file.sync();
    } finally {
      await file.close();
    }
    if (bytes === 0) throw new Error(`snapshot from etcd at ${endpoint} was empty`);
    await rename(temp, path);
    const directory = await open(dirname(path), 'r');
    await directory.sync().finally(() => directory.close());
    return { path, bytes, sha256: hash.digest('hex'), revision, endpoint };
  } finally {
    await rm(temp, { force: true });
    if (connection.markClosed()) connection.release();
  }
}

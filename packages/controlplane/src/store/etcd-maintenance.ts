// The store-wide calls of EtcdStore: compaction, the current revision, and
// the liveness ping.
import { UnavailableError, messageOf } from '@skiff/api';
import type { EtcdConnection } from './etcd-client.js';
import { isCompacted, isFutureRevision } from './etcd-errors.js';
import { futureRevision, requireCompactionRevision } from './store-rules.js';

// A key no Skiff object can have ("\0"), used for reads whose only purpose is
// the response header (current revision, liveness).
const PROBE_KEY = Buffer.from([0]);

export class EtcdMaintenance {
  constructor(private readonly connection: EtcdConnection) {}

  /**
   * Idempotent: a revision that is already compacted is not an error. Does not
   * wait for the physical compaction (etcd does it in the background; waiting
   * on a large database could exceed the request deadline) — watches and reads
   * of older revisions fail as soon as this resolves.
   */
  async compact(revision: number): Promise<void> {
    requireCompactionRevision(revision);
    try {
      await this.connection.call('compact', () => this.connection.client.kv.compact({ revision, physical: false }), {
        rethrowRaw: true,
      });
    } catch (error) {
      if (isCompacted(error)) return;
      if (isFutureRevision(error)) throw futureRevision(revision);
      throw this.connection.toStoreError('compact', error);
    }
  }

  async currentRevision(): Promise<number> {
    const response = await this.connection.call('currentRevision', () =>
      this.connection.client.kv.range({ key: PROBE_KEY, count_only: true }),
    );
    return Number(response.header.revision);
  }

  async ping(timeoutMs: number): Promise<void> {
    const { endpointLabel } = this.connection;
    // A linearizable read goes through the raft leader: an answer means etcd
    // can serve writes too, not just that a socket is open.
    const attempt = this.connection.call('ping', () =>
      this.connection.client.kv.range({ key: PROBE_KEY, count_only: true }, { deadline: Date.now() + timeoutMs }),
    );
    let timer: NodeJS.Timeout | undefined;
    // The gRPC deadline should fire first; this guards against anything that
    // happens before the call is made (e.g. waiting for a connection slot).
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UnavailableError(`etcd at ${endpointLabel} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([attempt, expired]);
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw new UnavailableError(`etcd at ${endpointLabel} did not answer a ping: ${messageOf(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      attempt.catch(() => undefined);
    }
  }
}

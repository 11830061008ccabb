// EtcdStore's leases, on etcd3's raw lease client: etcd3's Lease object keeps
// itself alive forever, while the Store renews exactly once per call.
import { EtcdLeaseInvalidError, GRPCDeadlineExceededError, GRPCUnavailableError, type ILeaseKeepAliveResponse } from 'etcd3';
import type { EtcdConnection } from './etcd-client.js';
import { typedGrpcError } from './etcd-errors.js';
import { terminateStream } from './etcd-streams.js';
import { leaseExpired, requireLeaseId, requireLeaseTtl } from './store-rules.js';

export class EtcdLeases {
  constructor(private readonly connection: EtcdConnection) {}

  private get leaseClient(): EtcdConnection['client']['leaseClient'] {
    return this.connection.client.leaseClient;
  }

  async grant(ttlSeconds: number): Promise<string> {
    requireLeaseTtl(ttlSeconds);
    const response = await this.connection.call('grantLease', () => this.leaseClient.leaseGrant({ TTL: ttlSeconds }));
    if (response.error) throw new Error(`etcd refused a lease of ${ttlSeconds}s: ${response.error}`);
    // int64 ids come back as decimal strings (proto-loader longs: String): no precision lost.
    return response.ID;
  }

  async keepAlive(lease: string): Promise<number> {
    requireLeaseId(lease);
    const response = await this.connection.call('keepAliveLease', () => this.renewOnce(lease));
    // etcd answers a renewal of an unknown (expired or revoked) lease with TTL 0.
    const ttl = Number(response.TTL);
    if (ttl <= 0) throw leaseExpired(lease);
    return ttl;
  }

  /** Idempotent: revoking an expired or already revoked lease succeeds. */
  async revoke(lease: string): Promise<void> {
    requireLeaseId(lease);
    try {
      await this.connection.call('revokeLease', () => this.leaseClient.leaseRevoke({ ID: lease }), { rethrowRaw: true });
    } catch (error) {
      if (error instanceof EtcdLeaseInvalidError) return;
      throw this.connection.toStoreError('revokeLease', error);
    }
  }

  /** LeaseKeepAlive is a stream in etcd's API: open it, renew once, close it. */
  private async renewOnce(lease: string): Promise<ILeaseKeepAliveResponse> {
    const { requestTimeoutMs } = this.connection;
    const stream = await this.leaseClient.leaseKeepAlive();
    try {
      return await new Promise<ILeaseKeepAliveResponse>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new GRPCDeadlineExceededError(`lease keep-alive got no answer within ${requestTimeoutMs} ms`)),
          requestTimeoutMs,
        );
        stream.on('data', (response: ILeaseKeepAliveResponse) => {
          clearTimeout(timer);
          resolve(response);
        });
        stream.on('error', (error: Error) => {
          clearTimeout(timer);
          reject(typedGrpcError(error));
        });
        stream.on('end', () => {
          clearTimeout(timer);
          reject(new GRPCUnavailableError('lease keep-alive stream ended without an answer'));
        });
        stream.write({ ID: lease });
      });
    } finally {
      terminateStream(stream);
    }
  }
}

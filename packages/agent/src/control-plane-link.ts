// The agent's channel to the control plane: one NodeApi client at a time, to
// one of the --server addresses, with the node's certificate (mTLS, the
// server verified against the pinned cluster CA). Renewed credentials or a
// fail-over replace the client; calls already started finish on the old one,
// and listeners (the assignment stream) reconnect on the new one.
//
// Heartbeats reach only the elected leader: a standby control plane refuses
// them with UNAVAILABLE and names the leader's address in the trailing
// metadata `skiff-leader`. failover() then goes straight to that server when
// it is one of ours (the hint names an address from --server), else to the next.
import { credentials as grpcCredentials, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { createNodeApiClient, LEADER_METADATA_KEY, type NodeApiClient } from '@skiff/api/core';
import type { NodeCredentials } from './credentials/index.js';

export interface ControlPlaneLinkOptions {
  /** HOST:PORT of every control plane the agent may use, the preferred first. */
  readonly servers: readonly string[];
  /** The node's credentials. */
  readonly credentials: NodeCredentials;
}

export class ControlPlaneLink {
  private current: NodeApiClient;
  private index = 0;
  private credentials: NodeCredentials;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: ControlPlaneLinkOptions) {
    if (options.servers.length === 0) throw new Error('ControlPlaneLink: no control-plane address');
    this.credentials = options.credentials;
    this.current = this.connect();
  }

  /** The client to make the next call with (look it up per call: it changes). */
  get client(): NodeApiClient {
    return this.current;
  }

  /** The control plane the current client talks to. */
  get server(): string {
    return this.options.servers[this.index] ?? '';
  }

  /** After a renewal: the same server, the new certificate. */
  useCredentials(credentials: NodeCredentials): void {
    this.credentials = credentials;
    this.replace();
  }

  /**
   * After the current control plane failed to answer: the leader it named
   * (`error`'s skiff-leader metadata) if that is one of our servers, else the
   * next one (no-op with one server, or when already at the leader named).
   */
  failover(error?: unknown): void {
    if (this.options.servers.length < 2) return;
    const hinted = this.serverIndexOf(leaderHintOf(error));
    if (hinted === this.index) return;
    this.index = hinted ?? (this.index + 1) % this.options.servers.length;
    this.replace();
  }

  private serverIndexOf(address: string | undefined): number | undefined {
    if (address === undefined) return undefined;
    const index = this.options.servers.findIndex((server) => sameServer(server, address));
    return index < 0 ? undefined : index;
  }

  /** `listener` runs after every replacement of the client; returns its removal. */
  onReconnect(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    this.current.close();
  }

  private replace(): void {
    const old = this.current;
    this.current = this.connect();
    // A closed grpc-js channel starts no new calls; those in flight finish.
    old.close();
    for (const listener of this.listeners) listener();
  }

  private connect(): NodeApiClient {
    return createNodeApiClient(this.server, {}, channelCredentials(this.credentials));
  }
}

/** mTLS with the node's certificate, trusting only the cluster CA. */
export function channelCredentials(credentials: NodeCredentials): ChannelCredentials {
  return grpcCredentials.createSsl(Buffer.from(credentials.caPem), Buffer.from(credentials.keyPem), Buffer.from(credentials.certPem));
}

/** The leader's host:port a standby control plane named when it refused a call. */
export function leaderHintOf(error: unknown): string | undefined {
  const metadata = (error as Partial<ServiceError> | undefined)?.metadata;
  const value = metadata?.get?.(LEADER_METADATA_KEY)[0];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** host:port equality that ignores a scheme and IPv6 brackets ("https://[::1]:7400" is "::1:7400"). */
function sameServer(a: string, b: string): boolean {
  const bare = (address: string): string => address.replace(/^[a-z]+:\/\//i, '').replace(/[[\]]/g, '').toLowerCase();
  return bare(a) === bare(b);
}

// The agent's channel to the control plane: one NodeApi client at a time, to
// one of the --server addresses, with the node's certificate (mTLS, the
// server verified against the pinned cluster CA). Renewed credentials or a
// fail-over replace the client; calls already started finish on the old one,
// and listeners (the assignment stream) reconnect on the new one.
import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { createNodeApiClient, type NodeApiClient } from '@skiff/api/core';
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

  /** After the current control plane failed to answer: the next one (no-op with one). */
  failover(): void {
    if (this.options.servers.length < 2) return;
    this.index = (this.index + 1) % this.options.servers.length;
    this.replace();
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

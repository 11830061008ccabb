// Several control planes (an HA cluster): one gRPC client per server, made
// when first needed, and the rule for moving on to the next one. A call goes
// to the server that answered last; with more than one server it first waits
// for that server's connection, and a server that cannot be connected to
// (refused, unreachable, no TLS handshake within CONNECT_TIMEOUT_MS) is
// skipped — nothing was sent, so that is safe for every call. A call that was
// sent and answered UNAVAILABLE is tried on the next server only when it is
// safe to repeat (a read): a write may have been applied before the answer was lost.
import { Metadata, connectivityState, status, type ServiceError } from '@grpc/grpc-js';
import type { ApiClient } from '@skiff/api';
import { isServiceError } from '../errors.js';

export const CONNECT_TIMEOUT_MS = 3_000;

export type CallSafety = 'read' | 'write';

export class FailoverClients {
  private readonly clients = new Map<number, ApiClient>();
  private current = 0;

  constructor(
    readonly targets: readonly string[],
    private readonly create: (target: string) => ApiClient,
  ) {}

  /** The client of the server that answered last (streams use it; they do not fail over mid-stream). */
  get client(): ApiClient {
    return this.clientAt(this.current);
  }

  /**
   * Runs `invoke` on the servers in turn, starting with the current one, as
   * the rules above allow; rejects with the last server's ServiceError.
   */
  async run<T>(safety: CallSafety, invoke: (client: ApiClient) => Promise<T>): Promise<T> {
    if (this.targets.length === 1) return invoke(this.client);
    let lastError: unknown;
    for (let attempt = 0; attempt < this.targets.length; attempt++) {
      const index = (this.current + attempt) % this.targets.length;
      const client = this.clientAt(index);
      const refused = await connected(client, CONNECT_TIMEOUT_MS);
      if (refused) {
        lastError = refused;
        continue;
      }
      try {
        const value = await invoke(client);
        this.current = index;
        return value;
      } catch (error) {
        if (safety === 'read' && isServiceError(error) && error.code === status.UNAVAILABLE) {
          lastError = error;
          continue;
        }
        this.current = index;
        throw error;
      }
    }
    throw lastError;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  private clientAt(index: number): ApiClient {
    let client = this.clients.get(index);
    if (!client) {
      client = this.create(this.targets[index]!);
      this.clients.set(index, client);
    }
    return client;
  }
}

/** Undefined once the client's channel is READY; an UNAVAILABLE ServiceError if it fails or times out first. */
function connected(client: ApiClient, timeoutMs: number): Promise<ServiceError | undefined> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve(undefined);
      if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN || Date.now() >= deadline) {
        return resolve(unavailable(`${channel.getTarget()}: ${state === connectivityState.TRANSIENT_FAILURE ? 'connection failed' : 'no connection within the timeout'}`));
      }
      channel.watchConnectivityState(state, deadline, check);
    };
    check();
  });
}

function unavailable(details: string): ServiceError {
  return Object.assign(new Error(`14 UNAVAILABLE: ${details}`), { code: status.UNAVAILABLE, details, metadata: new Metadata() });
}

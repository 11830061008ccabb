// Binds the control plane's gRPC services (ctl's Api, the agents' NodeApi) on one server.
import { Server, type ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** Largest request the API accepts; manifests are at most 1 MiB, so this leaves room and stops abuse. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface RunningGrpcServer {
  /** The first (primary) address, with the port actually bound. */
  readonly address: string;
  /** Every bound address, primary first (several when the server listens on more than one interface). */
  readonly addresses: readonly string[];
  /** Finishes in-flight calls for up to `graceMs`, then cuts the rest. */
  stop(graceMs: number): Promise<void>;
}

export interface ServiceBinding {
  readonly definition: ServiceDefinition;
  readonly handlers: UntypedServiceImplementation;
}

/**
 * `address` may be several host:port addresses (e.g. loopback plus one more
 * interface): all are bound on the same server, so every client sees the same
 * services and state whichever address it dialled.
 */
export async function startGrpcServer(
  address: string | readonly string[],
  services: readonly ServiceBinding[],
  credentials: ServerCredentials,
): Promise<RunningGrpcServer> {
  const requested = typeof address === 'string' ? [address] : [...address];
  if (requested.length === 0) throw new Error('startGrpcServer: no address to listen on');
  const server = new Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
    // channelz (grpc-js's per-call and per-socket tracing for a debug service Skiff does not serve) cost
    // about 6 % of every heartbeat's CPU in bench:heartbeats' profile.
    'grpc.enable_channelz': 0,
  });
  for (const service of services) server.addService(service.definition, service.handlers);
  const addresses: string[] = [];
  try {
    for (const wanted of requested) {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(wanted, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
      });
      addresses.push(`${wanted.slice(0, wanted.lastIndexOf(':'))}:${port}`);
    }
  } catch (error) {
    // Do not keep the addresses already bound: the caller sees a failed start, not half a server.
    server.forceShutdown();
    throw error;
  }
  return {
    address: addresses[0] ?? '',
    addresses,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

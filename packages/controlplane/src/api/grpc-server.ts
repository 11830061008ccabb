// Binds the control plane's gRPC services (ctl's Api, the agents' NodeApi) on one server.
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** Largest request the API accepts; manifests are at most 1 MiB, so this leaves room and stops abuse. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface RunningGrpcServer {
  readonly address: string;
  /** Finishes in-flight calls for up to `graceMs`, then cuts the rest. */
  stop(graceMs: number): Promise<void>;
}

export interface ServiceBinding {
  readonly definition: ServiceDefinition;
  readonly handlers: UntypedServiceImplementation;
}

export async function startGrpcServer(address: string, services: readonly ServiceBinding[]): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
  });
  for (const service of services) server.addService(service.definition, service.handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
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

// A grpc probe: the standard grpc.health.v1.Health/Check on the pod's IP and
// the given port, in plain text (kubelet's grpc prober does not use TLS), for
// `service` ("" asks about the server as a whole). SERVING is a success;
// anything else, an error status or no answer within the timeout, a failure.
// The service definition is grpc-health-check's (the gRPC project's package,
// with the upstream health.proto); the client is @grpc/grpc-js's.
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import type { GrpcAction } from '@skiff/api/core';
import { service as healthService } from 'grpc-health-check';
import { failed, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';

interface HealthClient {
  Check(request: { service: string }, options: { deadline: Date }, callback: (error: ServiceError | null, response?: { status?: string }) => void): void;
  close(): void;
}

const HealthClient = makeGenericClientConstructor(healthService, 'Health') as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: Record<string, unknown>) => HealthClient;

export async function grpcProbe(action: GrpcAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const host = target.podIP.includes(':') ? `[${target.podIP}]` : target.podIP;
  const address = `${host}:${String(action.port)}`;
  // One channel per run, as kubelet dials one per probe: no connection state outlives a probe.
  const client = new HealthClient(address, credentials.createInsecure(), { 'grpc.enable_retries': 0 });
  try {
    return await new Promise<ProbeOutcome>((resolve) => {
      client.Check({ service: action.service ?? '' }, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
        if (error) {
          const timeout = error.code === 4; // DEADLINE_EXCEEDED
          resolve(failed(timeout ? `timeout: health rpc did not complete within ${String(timeoutMs)}ms (${address})` : `error: health rpc probe failed: ${error.details || error.message}`));
          return;
        }
        const status = response?.status ?? 'UNKNOWN';
        resolve(status === 'SERVING' ? { ok: true, output: '' } : failed(`service unhealthy (responded with ${JSON.stringify(status)})`));
      });
    });
  } finally {
    client.close();
  }
}

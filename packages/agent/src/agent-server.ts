// The agent's own gRPC server (the Agent API: logs, exec, resource metrics):
// TLS with the node certificate, answering the control plane's identity only.
import { Server } from '@grpc/grpc-js';
import { agentServiceDefinition, type RotatingCertificateProvider } from '@skiff/api/core';
import { agentServerCredentials, requireControlPlane } from './credentials/index.js';
import { createExecHandlers } from './exec-service.js';
import { createLogsHandlers } from './logs-service.js';
import { createResourceMetricsHandlers } from './metrics/resource-metrics-service.js';
import type { ResourceSampler } from './metrics/resource-sampler.js';
import type { Runtime } from './runtime/runtime.js';

/** Binds `listen` (host:port, port 0 picks one); resolves to the server and the address it is reached at. */
export async function startAgentServer(
  listen: string,
  runtime: Runtime,
  identity: RotatingCertificateProvider,
  sampler: ResourceSampler | undefined,
): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.addService(agentServiceDefinition(), requireControlPlane({ ...createLogsHandlers(runtime), ...createExecHandlers(runtime), ...createResourceMetricsHandlers(sampler) }));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, agentServerCredentials(identity), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, address: `${listen.slice(0, listen.lastIndexOf(':'))}:${port}` };
}

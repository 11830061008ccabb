// The transport floor for bench:api-create: a bare grpc-js server of Skiff's
// Api service, with the control plane's own serving certificate, mutual TLS
// and server options, whose Apply answers the manifest back at once (no
// authentication, validation, store or watch). Started as a child process by
// the benchmark: node bench/dist/grpc-floor-server.js DATA_DIR; prints its port.
import { readFileSync } from 'node:fs';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { apiServiceDefinition } from '@skiff/api';
import { pkiPaths } from '@skiff/controlplane';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: node bench/dist/grpc-floor-server.js DATA_DIR\n');
  process.exit(2);
}
const pki = pkiPaths(dataDir);
const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024, 'grpc.enable_channelz': 0 });
server.addService(apiServiceDefinition(), {
  Apply: (call: ServerUnaryCall<{ manifest_json: string }, unknown>, callback: sendUnaryData<unknown>) =>
    callback(null, { outcome: 'created', object_json: call.request.manifest_json, warnings: [] }),
});
const credentials = ServerCredentials.createSsl(
  readFileSync(pki.caCert),
  [{ private_key: readFileSync(pki.serverKey), cert_chain: readFileSync(pki.serverCert) }],
  true,
);
server.bindAsync('127.0.0.1:0', credentials, (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());

// Makes a service that listens on this machine's loopback (a test registry,
// say) reachable from inside a network namespace, at an address of that
// namespace (a LAN host's): a small relay process in the namespace accepts
// connections there and carries each one over a Unix socket (file-system
// sockets cross network namespaces) to this process, which connects to the
// loopback target. No packet ever goes between the namespaces, and this
// process only ever dials 127.0.0.1, as the network-safety rule wants.
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { inNetworkNamespace } from './network-namespace-command.js';

export interface NamespacePortForwardOptions {
  /** The namespace whose address the service appears at. */
  readonly netns: string;
  /** HOST:PORT inside the namespace to accept connections on, e.g. "10.77.0.2:5000". */
  readonly listen: string;
  /** The loopback service, HOST:PORT with HOST in 127.0.0.0/8. */
  readonly target: string;
  /** Label for the relay's output and errors. */
  readonly name?: string;
}

export interface NamespacePortForward {
  /** `listen`, once it accepts connections. */
  readonly address: string;
  /** Stops the relay, closes every relayed connection and removes the socket. Idempotent. */
  stop(): Promise<void>;
}

/** The relay inside the namespace: argv = listen host, listen port, Unix socket path. */
const RELAY_SCRIPT = `const net = require('node:net');
const [host, port, socketPath] = process.argv.slice(1);
const server = net.createServer((inbound) => {
  const outbound = net.createConnection(socketPath);
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
  inbound.pipe(outbound).pipe(inbound);
});
server.on('error', (error) => { console.error('relay: ' + error.message); process.exit(1); });
server.listen(Number(port), host, () => console.log('relay listening'));
process.on('SIGTERM', () => process.exit(0));`;

const START_TIMEOUT_MS = 20_000;

export async function forwardIntoNamespace(options: NamespacePortForwardOptions): Promise<NamespacePortForward> {
  const target = splitAddress(options.target, 'target');
  if (!/^127\./.test(target.host)) throw new Error(`port forward target ${options.target}: only loopback services (127.0.0.0/8) may be forwarded`);
  const listen = splitAddress(options.listen, 'listen');
  const dir = await mkdtemp(join(tmpdir(), 'skiff-forward-'));
  const socketPath = join(dir, 'relay.sock');
  const connections = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    }
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  let relay: ManagedProcess | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await relay?.stop(1000);
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await listenOn(server, socketPath);
    relay = startProcess({
      name: options.name ?? `forward:${options.listen}`,
      ...inNetworkNamespace(options.netns, process.execPath, ['-e', RELAY_SCRIPT, listen.host, String(listen.port), socketPath]),
    });
    await relay.waitForLine(/^relay listening$/, START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: options.listen, stop };
}

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function splitAddress(address: string, what: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`port forward ${what} "${address}" is not HOST:PORT`);
  }
  return { host: address.slice(0, colon), port };
}

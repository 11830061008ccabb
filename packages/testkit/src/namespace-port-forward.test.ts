// Needs root (network namespaces). The server is on this machine's loopback;
// the client runs inside a LAN host and dials another host's LAN address.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createLan, type Lan } from './lan.js';
import { forwardIntoNamespace, type NamespacePortForward } from './namespace-port-forward.js';
import { skipUnlessRoot } from './root-suite.js';
import { runCommand } from './run-command.js';

let lan: Lan | undefined;
let forward: NamespacePortForward | undefined;
let server: Server | undefined;

afterAll(async () => {
  await forward?.stop();
  server?.close();
  await lan?.destroy();
});

/** A loopback echo server that prefixes what it sends back. */
async function echoServer(): Promise<number> {
  server = createServer((socket) => socket.on('data', (data) => socket.write(`echo:${data.toString()}`)));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

const CLIENT = `const socket = require('node:net').connect(Number(process.argv[2]), process.argv[1], () => socket.write('ping'));
socket.on('data', (data) => { console.log(data.toString()); socket.end(); });
socket.on('error', (error) => { console.log('error ' + error.code); });`;

describe.skipIf(skipUnlessRoot({ commands: ['nsenter'] }))('forwardIntoNamespace', () => {
  it('serves a loopback service at a LAN address, to clients on other hosts', async () => {
    lan = await createLan();
    const front = await lan.addHost('front');
    const client = await lan.addHost('client');
    const port = await echoServer();
    forward = await forwardIntoNamespace({ netns: front.netns, listen: `${front.lanAddress}:6000`, target: `127.0.0.1:${port}` });
    expect(forward.address).toBe(`${front.lanAddress}:6000`);
    const answered = await runCommand(process.execPath, ['-e', CLIENT, front.lanAddress, '6000'], { netns: client.netns, timeoutMs: 20_000 });
    expect(answered.stdout.trim(), answered.stderr).toBe('echo:ping');

    await forward.stop();
    await forward.stop(); // idempotent
    const refused = await runCommand(process.execPath, ['-e', CLIENT, front.lanAddress, '6000'], { netns: client.netns, timeoutMs: 20_000 });
    expect(refused.stdout.trim()).toBe('error ECONNREFUSED');
  });

  it('forwards only to loopback targets', async () => {
    await expect(forwardIntoNamespace({ netns: 'any', listen: '10.77.0.2:5000', target: '10.0.0.1:80' })).rejects.toThrow(/only loopback/);
    await expect(forwardIntoNamespace({ netns: 'any', listen: 'nonsense', target: '127.0.0.1:80' })).rejects.toThrow(/not HOST:PORT/);
  });
});

// A TCP proxy a test controls, to put between one process and another (a
// control plane and etcd) and cut: cut() is a silent partition, a black hole —
// open connections stay open but carry nothing more, new ones are accepted
// and never answered — so calls hang until their deadlines, as they would
// behind a dead switch; heal() drops the held connections and forwards again. Hand-written (node:net pipes) because what is needed is the
// cut, which no proxy library offers more simply than these lines.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** host:port to dial instead of the target. */
  readonly address: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const held = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (cut) {
      client.pause();
      held.add(client);
      client.on('error', () => undefined);
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    cut: () => {
      cut = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    heal: () => {
      cut = false;
      for (const socket of [...sockets, ...held]) socket.destroy();
      held.clear();
    },
    close: async () => {
      cut = true;
      for (const socket of [...sockets, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

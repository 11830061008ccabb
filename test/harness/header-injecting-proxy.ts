// A TCP proxy in front of a TLS gRPC server that adds a header field to every
// request the client sends, as a hostile HTTP/2 client could: grpc-js (and
// Node's http2) refuse to send a second `authorization` field, but other
// clients do. The client speaks plaintext HTTP/2 to the proxy; the proxy
// forwards every byte over TLS and, in each HEADERS frame, appends one literal
// field (HPACK "literal without indexing", which leaves both ends' dynamic
// tables as they were) to the header block.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect } from 'node:tls';

const PREFACE_BYTES = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
const FRAME_HEADER_BYTES = 9;
const HEADERS = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;

export interface HeaderInjectingProxy {
  /** HOST:PORT to dial with insecure (plaintext) credentials. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startHeaderInjectingProxy(options: { target: string; caPem: string; name: string; value: string }): Promise<HeaderInjectingProxy> {
  const [host = '', port = ''] = splitHostPort(options.target);
  const field = literalField(options.name, options.value);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host, port: Number(port), ca: options.caPem, ALPNProtocols: ['h2'] });
    sockets.add(client).add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let prefaceLeft = PREFACE_BYTES;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (prefaceLeft > 0) {
        const preface = pending.subarray(0, Math.min(prefaceLeft, pending.length));
        upstream.write(preface);
        prefaceLeft -= preface.length;
        pending = pending.subarray(preface.length);
      }
      while (pending.length >= FRAME_HEADER_BYTES) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < FRAME_HEADER_BYTES + length) break;
        const frame = pending.subarray(0, FRAME_HEADER_BYTES + length);
        pending = pending.subarray(FRAME_HEADER_BYTES + length);
        upstream.write(frame[3] === HEADERS ? withField(frame, field) : frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The HEADERS frame with `field` appended to its header block. */
function withField(frame: Buffer, field: Buffer): Buffer {
  const flags = frame[4] ?? 0;
  if (!(flags & END_HEADERS) || flags & PADDED) throw new Error('the proxy only extends unpadded HEADERS frames that end the header block');
  const header = Buffer.from(frame.subarray(0, FRAME_HEADER_BYTES));
  header.writeUIntBE(frame.length - FRAME_HEADER_BYTES + field.length, 0, 3);
  return Buffer.concat([header, frame.subarray(FRAME_HEADER_BYTES), field]);
}

/** HPACK (RFC 7541 §6.2.2) literal header field without indexing, new name, no Huffman coding. */
function literalField(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

/** RFC 7541 §5.1 integer with an N-bit prefix (the H bit left 0). */
function hpackInteger(value: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([value]);
  const bytes = [max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function splitHostPort(address: string): [string, string] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), address.slice(colon + 1)];
}

// The DNS server's sockets: UDP and TCP on one address and port. Messages are
// decoded and encoded with dns-packet; a UDP answer larger than the client
// can take (512 bytes, or its EDNS0 payload size) goes out truncated (TC, no
// records) so the client asks again over TCP (RFC 1035 §4.2.1, RFC 7766).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import type { AnswerMemo } from './answer-memo.js';
import { RCODE } from './rcode.js';
import { TcpFrames } from './tcp-frames.js';

/** Classic DNS over UDP: what a client without EDNS0 accepts. */
export const MAX_PLAIN_UDP = 512;
/** The largest UDP answer sent whatever a client offers (DNS flag day 2020). */
export const MAX_EDNS_UDP = 1232;
/** A DNS message over TCP is at most this long (its length prefix is two bytes). */
export const MAX_TCP_MESSAGE = 65_535;
/** An idle TCP connection is closed after this long (RFC 7766 suggests seconds). */
export const TCP_IDLE_MS = 10_000;
export const MAX_TCP_CONNECTIONS = 512;

/** A response, and whether it is a pure function of the query and the current records (`generation`), so it may be remembered. */
export interface DnsReply {
  readonly packet: Packet;
  readonly generation?: number;
}

export type DnsHandler = (query: DecodedPacket, transport: 'udp' | 'tcp') => DnsReply | Promise<DnsReply>;

export interface DnsServerOptions {
  readonly address: string;
  /** 53 for pods; 0 picks a free port (the same for UDP and TCP). */
  readonly port: number;
  readonly handler: DnsHandler;
  /** Remembered UDP answers (see answer-memo.ts). */
  readonly memo?: AnswerMemo;
  readonly onError?: (error: unknown) => void;
}

export class DnsServer {
  private udp?: Socket;
  private tcp?: Server;
  private readonly connections = new Set<TcpSocket>();
  port = 0;

  constructor(private readonly options: DnsServerOptions) {}

  get address(): string {
    return this.options.address;
  }

  async start(): Promise<void> {
    // With port 0, UDP picks the port and TCP must get the same one; another
    // process may hold it for TCP, so try a few.
    for (let attempt = 0; ; attempt += 1) {
      const udp = await this.bindUdp(this.options.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.listenTcp(port);
        this.udp = udp;
        this.port = port;
        return;
      } catch (error) {
        udp.close();
        if (this.options.port !== 0 || attempt >= 10 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  private bindUdp(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: isIPv6(this.options.address) ? 'udp6' : 'udp4', lookup: literalAddressLookup });
      socket.once('error', reject);
      socket.bind({ address: this.options.address, port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.options.onError?.(error));
        socket.on('message', (message, from) => this.onUdp(socket, message, from));
        resolve(socket);
      });
    });
  }

  private listenTcp(port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer((connection) => this.onTcp(connection));
      server.maxConnections = MAX_TCP_CONNECTIONS;
      server.once('error', reject);
      server.listen({ host: this.options.address, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.options.onError?.(error));
        resolve(server);
      });
    });
  }

  private onUdp(socket: Socket, message: Buffer, from: RemoteInfo): void {
    const { memo } = this.options;
    const remembered = memo?.answer(message);
    if (remembered) {
      // No callback: a failed send surfaces as the socket's 'error' event (onError), and the hot path allocates nothing more.
      socket.send(remembered, from.port, from.address);
      return;
    }
    const query = decodeQuery(message);
    if (query === undefined) return;
    const send = (reply: DnsReply): void => {
      const limit = udpLimit(query);
      let encoded = encodeResponse(reply.packet);
      if (encoded.length > limit) encoded = encodeResponse(truncated(reply.packet));
      if (memo && reply.generation !== undefined) memo.remember(message, encoded, reply.generation);
      socket.send(encoded, from.port, from.address);
    };
    this.answer(query, 'udp', send);
  }

  private onTcp(connection: TcpSocket): void {
    this.connections.add(connection);
    connection.setTimeout(TCP_IDLE_MS, () => connection.destroy());
    connection.on('close', () => this.connections.delete(connection));
    connection.on('error', () => connection.destroy());
    const frames = new TcpFrames();
    connection.on('data', (chunk: Buffer) => {
      for (const message of frames.push(chunk)) {
        const query = decodeQuery(message);
        if (query === undefined) {
          connection.destroy();
          return;
        }
        this.answer(query, 'tcp', (reply) => {
          if (connection.destroyed) return;
          let encoded = encodeResponse(reply.packet);
          // More than a TCP message holds (a headless service of thousands of endpoints): TC, as over UDP.
          if (encoded.length > MAX_TCP_MESSAGE) encoded = encodeResponse(truncated(reply.packet));
          const framed = Buffer.allocUnsafe(encoded.length + 2);
          framed.writeUInt16BE(encoded.length, 0);
          encoded.copy(framed, 2);
          connection.write(framed);
        });
      }
      if (frames.overflowed) connection.destroy();
    });
  }

  private answer(query: DecodedPacket | FormatError, transport: 'udp' | 'tcp', deliver: (reply: DnsReply) => void): void {
    // Encoding runs in `deliver`; a record dns-packet refuses to encode must cost one SERVFAIL, never the process.
    const send = (reply: DnsReply): void => {
      try {
        deliver(reply);
      } catch (error) {
        this.options.onError?.(error);
        if (query instanceof FormatError) return;
        try {
          deliver({ packet: failure(query, RCODE.SERVFAIL) });
        } catch (again) {
          this.options.onError?.(again);
        }
      }
    };
    if (query instanceof FormatError) {
      send({ packet: query.response });
      return;
    }
    let result: DnsReply | Promise<DnsReply>;
    try {
      result = this.options.handler(query, transport);
    } catch (error) {
      this.options.onError?.(error);
      send({ packet: failure(query, RCODE.SERVFAIL) });
      return;
    }
    if (result instanceof Promise) {
      result.then(send, (error: unknown) => {
        this.options.onError?.(error);
        send({ packet: failure(query, RCODE.SERVFAIL) });
      });
    } else send(result);
  }
}

/**
 * dgram resolves the destination of every send through dns.lookup (a tick
 * each, even for an IP). Answers go to the address a query came from, always
 * an IP literal: pass it straight on (about 3 µs of CPU less per answer).
 */
export function literalAddressLookup(address: string, family: unknown, callback: (error: Error | null, address: string, family: number) => void): void {
  const version = isIP(address);
  if (version !== 0) callback(null, address, version);
  else lookup(address, { family: family === 6 ? 6 : 4 }, (error, resolved, resolvedFamily) => callback(error, resolved, resolvedFamily));
}

/** A message the server cannot read as a query: answered FORMERR when its header is readable. */
class FormatError {
  constructor(readonly response: Packet) {}
}

/**
 * The query in `message`; a FormatError when only its header makes sense;
 * undefined for what must not be answered (a response, or less than a header).
 */
function decodeQuery(message: Buffer): DecodedPacket | FormatError | undefined {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    if (message.length < 12) return undefined;
    // dns-packet decodes all or nothing: the id is all that is left to echo (header bytes 0–1).
    return new FormatError({ type: 'response', id: message.readUInt16BE(0), flags: RCODE.FORMERR });
  }
  return query.type === 'response' ? undefined : query;
}

function failure(query: DecodedPacket, rcode: number): Packet {
  return { type: 'response', id: query.id ?? 0, flags: (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode, questions: query.questions ?? [] };
}

function udpLimit(query: DecodedPacket | FormatError): number {
  if (query instanceof FormatError) return MAX_PLAIN_UDP;
  const opt = query.additionals?.find((record): record is OptAnswer => record.type === 'OPT');
  return opt ? Math.min(MAX_EDNS_UDP, Math.max(MAX_PLAIN_UDP, opt.udpPayloadSize)) : MAX_PLAIN_UDP;
}

function truncated(response: Packet): Packet {
  return {
    ...response,
    flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: (response.additionals ?? []).filter((record) => record.type === 'OPT'),
  };
}

function encodeResponse(response: Packet): Buffer {
  return dnsPacket.encode(response);
}

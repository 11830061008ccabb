// One query to one upstream resolver and its answer: over UDP from a fresh
// socket (the kernel picks a random source port, which with a random id and the
// question checked makes a forged answer hard to slip in), or over TCP with
// the two-byte length prefix (dns-packet's streamEncode/streamDecode).
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6, connect } from 'node:net';
import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, Question } from 'dns-packet';
import { canonicalName } from './dns-names.js';
import { literalAddressLookup } from './dns-server.js';
import { TcpFrames } from './tcp-frames.js';

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

export function formatUpstream(upstream: Upstream): string {
  return isIPv6(upstream.host) ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
}

/** The UDP payload size the forwarder offers upstream (EDNS0), DNS flag day 2020's recommendation. */
export const EDNS_UDP_SIZE = 1232;

export class UpstreamTimeoutError extends Error {}

/** A recursive query for `question` with a random id, offering EDNS0. */
export function upstreamQuery(question: Question): Packet & { id: number } {
  return {
    type: 'query',
    id: randomInt(0, 65536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [question],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  };
}

/** Whether `response` answers `query`: its id and its question (names compared without case). */
export function answersQuery(query: Packet & { id: number }, response: DecodedPacket): boolean {
  const asked = query.questions?.[0];
  const got = response.questions?.[0];
  return (
    response.type === 'response' &&
    response.id === query.id &&
    asked !== undefined &&
    got !== undefined &&
    canonicalName(got.name) === canonicalName(asked.name) &&
    got.type === asked.type &&
    (got.class ?? 'IN') === (asked.class ?? 'IN')
  );
}

export function exchangeUdp(upstream: Upstream, query: Packet & { id: number }, timeoutMs: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(upstream.host) ? 'udp6' : 'udp4', lookup: literalAddressLookup });
    const timer = setTimeout(() => finish(new UpstreamTimeoutError(`no answer from ${formatUpstream(upstream)} over UDP within ${timeoutMs} ms`)), timeoutMs);
    function finish(error: Error | undefined, answer?: DecodedPacket): void {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(answer as DecodedPacket);
    }
    socket.on('error', (error) => finish(error));
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      if (from.port !== upstream.port || canonicalAddress(from.address) !== canonicalAddress(upstream.host)) return;
      let decoded: DecodedPacket;
      try {
        decoded = dnsPacket.decode(message);
      } catch {
        return; // not an answer to anything: keep waiting
      }
      if (answersQuery(query, decoded)) finish(undefined, decoded);
    });
    socket.send(dnsPacket.encode(query), upstream.port, upstream.host, (error) => {
      if (error) finish(error);
    });
  });
}

export function exchangeTcp(upstream: Upstream, query: Packet & { id: number }, timeoutMs: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    const frames = new TcpFrames();
    const timer = setTimeout(() => finish(new UpstreamTimeoutError(`no answer from ${formatUpstream(upstream)} over TCP within ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    function finish(error: Error | undefined, answer?: DecodedPacket): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer as DecodedPacket);
    }
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`${formatUpstream(upstream)} closed the TCP connection without an answer`)));
    socket.on('connect', () => socket.write(dnsPacket.streamEncode(query)));
    socket.on('data', (chunk: Buffer) => {
      for (const message of frames.push(chunk)) {
        let decoded: DecodedPacket;
        try {
          decoded = dnsPacket.decode(message);
        } catch (error) {
          finish(new Error(`${formatUpstream(upstream)} sent an undecodable answer: ${(error as Error).message}`));
          return;
        }
        if (answersQuery(query, decoded)) finish(undefined, decoded);
      }
      if (frames.overflowed) finish(new Error(`${formatUpstream(upstream)} sent a malformed TCP stream`));
    });
  });
}

function canonicalAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address.toLowerCase();
}

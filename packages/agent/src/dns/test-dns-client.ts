// A DNS client for tests: one query over UDP or TCP to a server on loopback,
// with dns-packet, and the decoded answer.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, Question } from 'dns-packet';
import { TcpFrames } from './tcp-frames.js';

export interface QueryOptions {
  readonly transport?: 'udp' | 'tcp';
  /** Offer EDNS0 with this UDP payload size. */
  readonly edns?: number;
  readonly timeoutMs?: number;
  readonly id?: number;
}

export function queryPacket(question: Question, options: QueryOptions = {}): Packet {
  return {
    type: 'query',
    id: options.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [question],
    ...(options.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: options.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  };
}

export function query(host: string, port: number, question: Question, options: QueryOptions = {}): Promise<DecodedPacket> {
  const packet = dnsPacket.encode(queryPacket(question, options));
  return options.transport === 'tcp' ? exchangeRawTcp(host, port, packet, options.timeoutMs ?? 3000) : exchangeRawUdp(host, port, packet, options.timeoutMs ?? 3000);
}

export function exchangeRawUdp(host: string, port: number, packet: Buffer, timeoutMs = 3000): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      try {
        resolve(dnsPacket.decode(message));
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.send(packet, port, host);
  });
}

export function exchangeRawTcp(host: string, port: number, packet: Buffer, timeoutMs = 3000): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const frames = new TcpFrames();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      const framed = Buffer.alloc(packet.length + 2);
      framed.writeUInt16BE(packet.length, 0);
      packet.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      const [message] = frames.push(chunk);
      if (!message) return;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(dnsPacket.decode(message));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

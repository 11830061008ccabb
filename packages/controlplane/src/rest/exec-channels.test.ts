import { InvalidError } from '@skiff/api';
import { describe, expect, test } from 'vitest';
import { chooseProtocol, exitStatus, frame, parseClientMessage, V4, V5 } from './exec-channels.js';

describe('exec channels', () => {
  test('the protocol is v5 when offered, else v4, else none', () => {
    expect(chooseProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io', 'channel.k8s.io'])).toBe(V5);
    expect(chooseProtocol([' v4.channel.k8s.io', 'base64.channel.k8s.io'])).toBe(V4);
    expect(chooseProtocol(['channel.k8s.io', 'SPDY/3.1'])).toBeUndefined();
  });

  test('output frames start with their channel byte', () => {
    expect([...frame(1, 'hi\n')]).toEqual([1, 0x68, 0x69, 0x0a]);
    expect([...frame(2, Buffer.of(0xff, 0))]).toEqual([2, 0xff, 0]);
    expect([...frame(3, '')]).toEqual([3]);
  });

  test('stdin, resize and (v5 only) the close of stdin are read from client frames', () => {
    expect(parseClientMessage(Buffer.from('\x00abc', 'latin1'), V5)).toEqual({ kind: 'stdin', data: Buffer.from('abc') });
    expect(parseClientMessage(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":132,"Height":43}')]), V4)).toEqual({ kind: 'resize', size: { width: 132, height: 43 } });
    expect(parseClientMessage(Buffer.of(255, 0), V5)).toEqual({ kind: 'stdin-close' });
    expect(parseClientMessage(Buffer.of(255, 0), V4)).toEqual({ kind: 'ignored' });
    expect(parseClientMessage(Buffer.of(255, 1), V5)).toEqual({ kind: 'ignored' });
    expect(parseClientMessage(Buffer.of(0), V5)).toEqual({ kind: 'ignored' });
    expect(parseClientMessage(Buffer.alloc(0), V5)).toEqual({ kind: 'ignored' });
  });

  test('a resize that is not {Width, Height} of whole numbers is refused, naming what was sent', () => {
    expect(() => parseClientMessage(Buffer.concat([Buffer.of(4), Buffer.from('nope')]), V5)).toThrow(InvalidError);
    expect(() => parseClientMessage(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":-1,"Height":2}')]), V5)).toThrow(/Width and Height, got \{"Width":-1/);
  });

  test('the exit code is a Status on channel 3 as client-go reads it', () => {
    expect(exitStatus(0, ['true'])).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });
});

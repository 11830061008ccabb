import { describe, expect, test } from 'vitest';
import { loadApiProto } from './proto.js';
import {
  decodeExecInput,
  decodeExecOutput,
  execExit,
  execResize,
  execStart,
  execStderr,
  execStdin,
  execStdinClose,
  execStdout,
  type ExecInputMessage,
  type ExecInputMessageOutput,
  type ExecOutputMessage,
  type ExecOutputMessageOutput,
} from './exec-frames.js';

// Through the real protobuf codec, as the frames travel.
const agent = () => loadApiProto().skiff.v1.Agent.service;
const wireInput = (message: ExecInputMessage): ExecInputMessageOutput => {
  const { requestSerialize, requestDeserialize } = agent()['Exec']!;
  return requestDeserialize(requestSerialize(message)) as ExecInputMessageOutput;
};
const wireOutput = (message: ExecOutputMessage): ExecOutputMessageOutput => {
  const { responseSerialize, responseDeserialize } = agent()['Exec']!;
  return responseDeserialize(responseSerialize(message)) as ExecOutputMessageOutput;
};

const start = { namespace: 'shop', pod: 'web', container: 'main', command: ['sh', '-c', 'echo hi'], stdin: true, tty: true, terminalSize: { width: 120, height: 40 } };

describe('exec frames', () => {
  test('every input frame survives the wire and decodes to what was sent', () => {
    expect(decodeExecInput(wireInput(execStart(start)))).toEqual({ kind: 'start', start });
    expect(decodeExecInput(wireInput(execStdin(Buffer.from('abc\n'))))).toEqual({ kind: 'stdin', data: Buffer.from('abc\n') });
    expect(decodeExecInput(wireInput(execResize({ width: 100, height: 30 })))).toEqual({ kind: 'resize', size: { width: 100, height: 30 } });
    expect(decodeExecInput(wireInput(execStdinClose()))).toEqual({ kind: 'stdin-close' });
  });

  test('an empty stdin chunk is still a stdin frame', () => {
    expect(decodeExecInput(wireInput(execStdin(Buffer.alloc(0))))).toEqual({ kind: 'stdin', data: Buffer.alloc(0) });
  });

  test('every output frame survives the wire, exit code 0 included', () => {
    expect(decodeExecOutput(wireOutput(execStdout(Buffer.from('out'))))).toEqual({ kind: 'stdout', data: Buffer.from('out') });
    expect(decodeExecOutput(wireOutput(execStderr(Buffer.from('err'))))).toEqual({ kind: 'stderr', data: Buffer.from('err') });
    expect(decodeExecOutput(wireOutput(execExit(3)))).toEqual({ kind: 'exit', code: 3 });
    expect(decodeExecOutput(wireOutput(execExit(0)))).toEqual({ kind: 'exit', code: 0 });
  });

  test('a start frame defaults the namespace and the terminal size', () => {
    const decoded = decodeExecInput(wireInput({ start: { pod: 'web', command: ['ls'] } }));
    expect(decoded).toEqual({
      kind: 'start',
      start: { namespace: 'default', pod: 'web', container: '', command: ['ls'], stdin: false, tty: false, terminalSize: { width: 80, height: 24 } },
    });
  });

  test('bad start frames are refused with every field at fault', () => {
    expect(() => decodeExecInput(wireInput({ start: { pod: '', command: [] } }))).toThrow(
      'start.pod: a pod name is required; start.command: a command is required (ctl exec POD -- COMMAND [ARGS…])',
    );
    expect(() => decodeExecInput(wireInput({ start: { pod: 'p', command: [''] } }))).toThrow('start.command[0]: the executable must not be empty');
    expect(() => decodeExecInput(wireInput({ start: { pod: 'p', command: ['a\0b'] } }))).toThrow('start.command: arguments must not contain NUL bytes');
    expect(() => decodeExecInput(wireInput({ start: { pod: 'p', command: ['x'.repeat(200_000)] } }))).toThrow('start.command: longer than 131072 bytes');
    expect(() => decodeExecInput(wireInput({ start: { pod: 'p', command: ['ls'], terminal_size: { width: 0, height: 10 } } }))).toThrow(
      'start.terminal_size: width and height must be whole numbers from 1 to 65535, not 0x10',
    );
  });

  test('resizes outside what a terminal can be, and empty frames, are refused', () => {
    expect(() => decodeExecInput(wireInput(execResize({ width: 70_000, height: 10 })))).toThrow('resize: width and height must be whole numbers from 1 to 65535, not 70000x10');
    expect(() => decodeExecInput(wireInput({}))).toThrow('an exec message must carry one of start, stdin, resize or stdin_close');
    expect(() => decodeExecOutput(wireOutput({}))).toThrow('an exec answer must carry one of stdout, stderr or exit');
  });
});

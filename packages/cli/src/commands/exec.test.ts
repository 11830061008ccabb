// ctl exec against a TLS Api server in the test (Get and Exec only): how the
// arguments and the terminal become the start frame, stdin and resizes go up,
// output comes down, and the command's exit code becomes ctl's.
import { PassThrough } from 'node:stream';
import { status, type ServerDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  decodeExecInput,
  execExit,
  execStderr,
  execStdout,
  type ExecInputFrame,
  type ExecInputMessageOutput,
  type ExecOutputMessage,
  type Pod,
} from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliTerminal } from '../context.js';
import { CliError } from '../errors.js';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';
import { planExec } from './exec.js';

const PODS: Record<string, Pod> = {
  web: pod('web', ['main']),
  pair: pod('pair', ['first', 'second']),
  annotated: pod('annotated', ['first', 'second'], { 'kubectl.kubernetes.io/default-container': 'second' }),
};

function pod(name: string, containers: string[], annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  } as Pod;
}

/** Every Exec call the server saw, as the frames it received. */
const calls: ExecInputFrame[][] = [];
let gets = 0;
let server: TestApiServer;
let kubeconfig = '';

beforeAll(async () => {
  server = await startTestApiServer({
    Get(call: { request: { ref: { name: string } } }, callback: (error: Partial<ServiceError> | null, value?: unknown) => void) {
      gets += 1;
      const found = PODS[call.request.ref.name];
      if (found) callback(null, { object_json: JSON.stringify(found) });
      else callback({ code: status.NOT_FOUND, details: `pods "${call.request.ref.name}" not found` });
    },
    // A stand-in agent: echoes stdin, reports resizes, exits when stdin closes (or at once for `exit N`).
    Exec(call: ServerDuplexStream<ExecInputMessageOutput, ExecOutputMessage>) {
      const frames: ExecInputFrame[] = [];
      calls.push(frames);
      call.on('data', (message: ExecInputMessageOutput) => {
        const frame = decodeExecInput(message);
        frames.push(frame);
        if (frame.kind === 'start') {
          const [file, arg] = frame.start.command;
          if (frame.start.pod === 'gone') {
            call.emit('error', Object.assign(new Error('x'), { code: status.NOT_FOUND, details: 'cannot exec "nope" in container main of pod default/gone: executable file not found in $PATH' }));
          } else if (file === 'exit') {
            call.write(execStderr(Buffer.from('leaving\n')));
            call.write(execExit(Number(arg)));
            call.end();
          }
        } else if (frame.kind === 'stdin') {
          call.write(execStdout(frame.data));
        } else if (frame.kind === 'resize') {
          call.write(execStdout(Buffer.from(`size ${frame.size.width}x${frame.size.height}\n`)));
        } else {
          call.write(execExit(0));
          call.end();
        }
      });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

/** A terminal (or, with isTerminal false, a pipe) whose input the test writes. */
function fakeTerminal(isTerminal: boolean) {
  const stdin = new PassThrough();
  const raw: boolean[] = [];
  let size = { width: 100, height: 30 };
  let resized: (() => void) | undefined;
  const terminal: CliTerminal = {
    stdin,
    isTerminal,
    setRaw: (on) => raw.push(on),
    size: () => size,
    onResize: (listener) => {
      resized = listener;
      return () => (resized = undefined);
    },
  };
  return {
    terminal,
    stdin,
    raw,
    resize: (next: { width: number; height: number }) => {
      size = next;
      resized?.();
    },
    listening: () => resized !== undefined,
  };
}

const exec = (args: string[], terminal?: CliTerminal) => runCtlInProcess(['--kubeconfig', kubeconfig, 'exec', ...args], terminal ? { terminal } : {});
const startOf = (frames: ExecInputFrame[] | undefined) => frames?.find((f) => f.kind === 'start');

describe('ctl exec: arguments', () => {
  it('needs the command after --', () => {
    expect(() => planExec('web', [], { stdin: false, tty: false }, false)).toThrow(
      'error: you must specify at least one command for the container: ctl exec POD -- COMMAND [ARGS…]',
    );
    expect(planExec('pod/web', ['ls', '-l'], { stdin: false, tty: false }, false)).toEqual({ pod: 'web', command: ['ls', '-l'], stdin: false, tty: false });
  });

  it('drops -t without -i silently, and warns when stdin is not a terminal', () => {
    expect(planExec('web', ['sh'], { stdin: false, tty: true }, true)).toMatchObject({ tty: false });
    expect(planExec('web', ['sh'], { stdin: false, tty: true }, true).warning).toBeUndefined();
    expect(planExec('web', ['sh'], { stdin: true, tty: true }, false)).toMatchObject({
      tty: false,
      warning: 'Unable to use a TTY - input is not a terminal or the right kind of file',
    });
    expect(planExec('web', ['sh'], { stdin: true, tty: true }, true)).toMatchObject({ stdin: true, tty: true });
  });

  it('refuses a command not after --, as kubectl does', async () => {
    const run = await exec(['web', 'ls']);
    expect((run.error as Error).message).toBe('error: exec [POD] [COMMAND] is not supported; use exec [POD] -- [COMMAND] instead');
  });
});

describe('ctl exec: the call', () => {
  it('sends stdin up and prints what comes back; the only container is the default', async () => {
    const pipe = fakeTerminal(false);
    pipe.stdin.end('hello\nworld\n');
    const run = await exec(['-i', 'web', '--', 'cat'], pipe.terminal);
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('hello\nworld\n');
    const frames = calls.at(-1);
    expect(startOf(frames)).toEqual({
      kind: 'start',
      start: { namespace: 'default', pod: 'web', container: 'main', command: ['cat'], stdin: true, tty: false, terminalSize: { width: 80, height: 24 } },
    });
    expect(frames?.at(-1)).toEqual({ kind: 'stdin-close' });
    expect(pipe.raw).toEqual([]);
  });

  it("exits with the command's exit code, printing its stderr", async () => {
    const run = await exec(['web', '-n', 'default', '--', 'exit', '3']);
    expect(run.stderr).toBe('leaving\n');
    expect(run.error).toBeInstanceOf(CliError);
    expect(run.error).toMatchObject({ message: 'command terminated with exit code 3', exitCode: 3 });
  });

  it('picks the annotated default container, else the first with a note, and asks nothing with -c', async () => {
    const first = await exec(['pair', '--', 'exit', '0']);
    expect(first.error).toBeUndefined();
    expect(first.stderr).toBe('Defaulted container "first" out of: first, second\nleaving\n');
    expect(startOf(calls.at(-1))).toMatchObject({ start: { container: 'first' } });
    const annotated = await exec(['annotated', '--', 'exit', '0']);
    expect(annotated.stderr).toBe('leaving\n');
    expect(startOf(calls.at(-1))).toMatchObject({ start: { container: 'second' } });
    const before = gets;
    await exec(['pair', '-c', 'second', '--', 'exit', '0']);
    expect(gets).toBe(before);
    expect(startOf(calls.at(-1))).toMatchObject({ start: { container: 'second' } });
  });

  it("on a terminal: a tty of the terminal's size, raw mode while it runs, resizes passed on", async () => {
    const tty = fakeTerminal(true);
    const running = exec(['-it', 'web', '--', 'sh'], tty.terminal);
    await waitFor(() => tty.listening(), { timeoutMs: 10_000, description: 'ctl to listen for resizes' });
    const call = calls.at(-1);
    expect(startOf(call)).toMatchObject({ start: { stdin: true, tty: true, terminalSize: { width: 100, height: 30 } } });
    expect(tty.raw).toEqual([true]);
    tty.resize({ width: 132, height: 43 });
    await waitFor(() => call?.some((f) => f.kind === 'resize'), { timeoutMs: 10_000, description: 'the resize frame' });
    tty.stdin.end();
    const run = await running;
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('size 132x43\n');
    expect(tty.raw).toEqual([true, false]);
    expect(tty.listening()).toBe(false);
  });

  it("a pod that does not exist, or the agent's refusal, is the server's error", async () => {
    const missing = await exec(['nope', '--', 'ls']);
    expect((missing.error as Error).message).toBe('Error from server (NotFound): pods "nope" not found');
    const refused = await exec(['gone', '-c', 'main', '--', 'nope']);
    expect((refused.error as Error).message).toBe(
      'Error from server (NotFound): cannot exec "nope" in container main of pod default/gone: executable file not found in $PATH',
    );
  });
});

import { DEFAULT_TERMINAL_SIZE, InvalidError } from '@skiff/api';
import { describe, expect, test } from 'vitest';
import { execStartOf } from './pod-exec-handler.js';
import { logOptionsOf } from './pod-log-handler.js';

describe("the query strings of pods/log and pods/exec", () => {
  test('PodLogOptions: every parameter kubectl logs sends, absent ones as the agent\'s defaults', () => {
    const query = new URLSearchParams('container=main&follow=true&tailLines=10&sinceSeconds=60&timestamps=true&previous=1');
    expect(logOptionsOf('shop', 'web', query)).toEqual({ namespace: 'shop', pod: 'web', container: 'main', follow: true, tail_lines: 10, timestamps: true, since_seconds: 60, previous: true });
    expect(logOptionsOf('shop', 'web', new URLSearchParams())).toEqual({ namespace: 'shop', pod: 'web', container: '', follow: false, tail_lines: 0, timestamps: false, since_seconds: 0, previous: false });
  });

  test('bad numbers and booleans are refused, naming the parameter', () => {
    expect(() => logOptionsOf('a', 'b', new URLSearchParams('tailLines=-3'))).toThrow('tailLines=-3: expected a whole number of at least 0');
    expect(() => logOptionsOf('a', 'b', new URLSearchParams('follow=maybe'))).toThrow(InvalidError);
  });

  test('exec: the repeated command, stdin and tty; no command is refused', () => {
    const query = new URLSearchParams('command=sh&command=-c&command=echo+hi&container=main&stdin=true&stdout=true&tty=true');
    expect(execStartOf('shop', 'web', query)).toEqual({ namespace: 'shop', pod: 'web', container: 'main', command: ['sh', '-c', 'echo hi'], stdin: true, tty: true, terminalSize: DEFAULT_TERMINAL_SIZE });
    expect(execStartOf('shop', 'web', new URLSearchParams('command=true&stdout=true'))).toMatchObject({ stdin: false, tty: false, container: '' });
    expect(() => execStartOf('shop', 'web', new URLSearchParams('stdout=true'))).toThrow(/command: at least one is required/);
  });
});

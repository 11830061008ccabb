import { describe, expect, it } from 'vitest';
import { commonOptions, etcdEndpointsOf, readCommandLine, type CommandIo } from './command-line.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const streams: CommandIo = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env };
  return { out, streams };
}

const command = (streams: CommandIo, positionals = true) => ({ prefix: 'skiff-controlplane demo', usage: 'usage: demo', options: commonOptions(streams), positionals });

describe('readCommandLine', () => {
  it('reads flags and positionals, with --etcd defaulting to SKIFF_ETCD', () => {
    const { streams } = io({ SKIFF_ETCD: 'https://10.0.0.1:2379' });
    expect(readCommandLine(['save', 'f', '--data-dir', '/d'], streams, command(streams))).toEqual({
      values: { 'data-dir': '/d', etcd: 'https://10.0.0.1:2379', help: false },
      positionals: ['save', 'f'],
    });
  });

  it('answers --help with the usage on stdout and exit 0', () => {
    const { out, streams } = io();
    expect(readCommandLine(['-h'], streams, command(streams))).toBe(0);
    expect(out).toEqual({ stdout: 'usage: demo\n', stderr: '' });
  });

  it('answers a bad flag or an unexpected positional with the error and the usage on stderr and exit 2', () => {
    const { out, streams } = io();
    expect(readCommandLine(['--nope'], streams, command(streams))).toBe(2);
    expect(out.stderr).toMatch(/^skiff-controlplane demo: Unknown option '--nope'.*\nusage: demo\n$/s);
    expect(readCommandLine(['extra'], streams, command(streams, false))).toBe(2);
    expect(out.stdout).toBe('');
  });

  it('splits --etcd into trimmed URLs', () => {
    expect(etcdEndpointsOf(' https://a:2379, ,https://b:2379 ')).toEqual(['https://a:2379', 'https://b:2379']);
  });
});

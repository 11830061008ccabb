// The service proxy's hands on the host: `nft -f -` (one transaction per call,
// the text on stdin), `conntrack -D` for UDP flows of removed endpoints, and
// the route that makes the service CIDR routable. Each runs without a shell,
// optionally inside a network namespace (`ip netns exec NS …`, for tests and
// for agents that run in a host namespace).
import { spawn } from 'node:child_process';

export class HostCommandError extends Error {
  override readonly name = 'HostCommandError';
}

export interface HostCommandsOptions {
  /** Run every command inside this named network namespace. */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class HostCommands {
  constructor(private readonly options: HostCommandsOptions = {}) {}

  /** Applies `text` as one nft transaction; throws with nft's own words (which name the failing line) on failure. */
  async nft(text: string): Promise<void> {
    const result = await this.run('nft', ['-f', '-'], text);
    if (result.code !== 0) throw new HostCommandError(`nft -f - ${describe(result)}`);
  }

  /** `nft` with arguments (e.g. list, delete table); returns stdout. */
  async nftCommand(args: readonly string[]): Promise<string> {
    const result = await this.run('nft', args);
    if (result.code !== 0) throw new HostCommandError(`nft ${args.join(' ')} ${describe(result)}`);
    return result.stdout;
  }

  /** Deletes conntrack entries matching the filter; "0 flow entries" (exit 1 with that message) is fine. */
  async conntrackDelete(filter: readonly string[]): Promise<number> {
    const result = await this.run('conntrack', ['-D', ...filter]);
    const deleted = /(\d+) flow entries have been deleted/.exec(result.stderr);
    if (result.code === 0 || deleted) return Number(deleted?.[1] ?? 0);
    throw new HostCommandError(`conntrack -D ${filter.join(' ')} ${describe(result)}`);
  }

  async ip(args: readonly string[]): Promise<string> {
    const result = await this.run('ip', args);
    if (result.code !== 0) throw new HostCommandError(`ip ${args.join(' ')} ${describe(result)}`);
    return result.stdout;
  }

  private run(file: string, args: readonly string[], input?: string): Promise<Result> {
    const [command, argv] = this.options.netns !== undefined ? ['ip', ['netns', 'exec', this.options.netns, file, ...args]] : [file, [...args]];
    return new Promise((resolve, reject) => {
      const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs ?? 60_000);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new HostCommandError(`cannot run ${file}: ${error.message} (is it installed? Debian: apt-get install nftables conntrack iproute2)`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }
}

function describe(result: Result): string {
  const status = result.code === null ? 'was killed' : `exited with ${result.code}`;
  const message = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(0, 6).join(' | ');
  return `${status}${message ? `: ${message}` : ''}`;
}

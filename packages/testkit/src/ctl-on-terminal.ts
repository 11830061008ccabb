// Runs the real ctl binary on a pseudo-terminal, as a person at a terminal
// would (ctl exec -it; startOnTerminal runs any program so, kubectl too): its stdin, stdout and stderr are the pty, which the
// test types into, reads, and resizes (the kernel then sends ctl SIGWINCH).
import * as pty from 'node-pty';
import { CTL_MAIN } from './repo-paths.js';

export interface CtlOnTerminal {
  /** Types into the terminal. */
  write(text: string): void;
  /** Resizes the terminal (columns × rows). */
  resize(columns: number, rows: number): void;
  /** Everything ctl printed so far. */
  output(): string;
  /** Resolves with ctl's exit code. */
  readonly exited: Promise<number>;
  /** Kills ctl if it still runs. */
  kill(): void;
}

export function startCtlOnTerminal(kubeconfig: string, args: readonly string[], size: { columns: number; rows: number }): CtlOnTerminal {
  return startOnTerminal(process.execPath, [CTL_MAIN, '--kubeconfig', kubeconfig, ...args], size, { HOME: '/nonexistent' });
}

/** Any program on a pseudo-terminal (kubectl exec -it too), with PATH and `env` as its whole environment. */
export function startOnTerminal(file: string, args: readonly string[], size: { columns: number; rows: number }, env: Record<string, string>): CtlOnTerminal {
  const terminal = pty.spawn(file, [...args], {
    name: 'xterm',
    cols: size.columns,
    rows: size.rows,
    cwd: process.cwd(),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
  });
  let output = '';
  let done = false;
  terminal.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) =>
    terminal.onExit(({ exitCode }) => {
      done = true;
      resolve(exitCode);
    }),
  );
  return {
    write: (text) => terminal.write(text),
    resize: (columns, rows) => terminal.resize(columns, rows),
    output: () => output,
    exited,
    kill: () => {
      if (!done) terminal.kill('SIGKILL');
    },
  };
}

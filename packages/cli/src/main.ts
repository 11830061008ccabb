#!/usr/bin/env node
// ctl: parse, run, print errors as one clear message, exit like kubectl.
import { CommanderError } from 'commander';
import { text } from 'node:stream/consumers';
import { createContext, type CliTerminal } from './context.js';
import { CliError } from './errors.js';
import { buildProgram } from './program.js';

// grpc-js sets the TLS ServerName to the server's address even when it is an
// IP (https://10.0.0.5:7400), and Node warns about that (DEP0123) on every
// run; the certificate is still checked against the IP. Other warnings print
// as Node prints them.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code === 'DEP0123') return;
  process.stderr.write(`(node:${process.pid}) ${warning.code ? `[${warning.code}] ` : ''}${warning.name}: ${warning.message}\n`);
});

const terminal: CliTerminal = {
  stdin: process.stdin,
  isTerminal: process.stdin.isTTY === true,
  setRaw: (raw) => process.stdin.isTTY && process.stdin.setRawMode(raw),
  size: () => {
    const tty = process.stdout.isTTY ? process.stdout : process.stderr.isTTY ? process.stderr : undefined;
    return tty ? { width: tty.columns, height: tty.rows } : undefined;
  },
  onResize: (listener) => {
    process.on('SIGWINCH', listener);
    return () => process.off('SIGWINCH', listener);
  },
};
const context = createContext(
  {},
  {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => text(process.stdin),
    terminal,
  },
);
const program = buildProgram(context);

let exitCode = 0;
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    exitCode = error.exitCode === 0 ? 0 : 1; // commander already printed the message
  } else if (error instanceof CliError) {
    if (error.message !== '') process.stderr.write(`${error.message}\n`);
    exitCode = error.exitCode;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 1;
  }
} finally {
  context.close();
}
process.exitCode = exitCode;

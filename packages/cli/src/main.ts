#!/usr/bin/env node
// ctl: parse, run, print errors as one clear message, exit like kubectl.
import { CommanderError } from 'commander';
import { text } from 'node:stream/consumers';
import { createContext } from './context.js';
import { CliError } from './errors.js';
import { buildProgram } from './program.js';

const serverFlag: { value?: string } = {};
const context = createContext(() => serverFlag.value, {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => text(process.stdin),
});
const program = buildProgram(context, serverFlag);

let exitCode = 0;
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    exitCode = error.exitCode === 0 ? 0 : 1; // commander already printed the message
  } else if (error instanceof CliError) {
    process.stderr.write(`${error.message}\n`);
    exitCode = error.exitCode;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 1;
  }
} finally {
  context.close();
}
process.exitCode = exitCode;

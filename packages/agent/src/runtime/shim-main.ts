// Entry point of the per-container shim (see container-shim.ts). Drivers start
// it as `node dist/runtime/shim-main.js <container dir>`, detached, in its own
// session, with stdout/stderr in the container's shim.log.

import { runShim } from './container-shim.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: shim-main.js <container state dir>\n');
  process.exit(2);
}
runShim(dir).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${new Date().toISOString()} shim[${process.pid}] failed: ${String(error)}\n`);
    process.exit(1);
  },
);

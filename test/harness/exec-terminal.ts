// What `exec -it` on a terminal must show, whichever client relays it (ctl
// over the gRPC Api, kubectl over the REST API's pods/exec WebSocket): the
// command's tty has the terminal's size, follows a resize, and the command's
// exit code is the client's.
import { waitFor, type CtlOnTerminal } from '@skiff/testkit';
import { expect } from 'vitest';

/** The size to start the terminal at, which expectTtyFollowsResize checks first. */
export const START_SIZE = { columns: 91, rows: 17 } as const;

/** `terminal` shows the prompt of a shell in a busybox container, started at START_SIZE; the shell is gone afterwards. */
export async function expectTtyFollowsResize(terminal: CtlOnTerminal): Promise<void> {
  terminal.write('busybox tty; busybox stty size\r');
  // Line ends are \r\r\n: Node's raw mode (libuv's) keeps the terminal's \n → \r\n output mapping.
  await waitFor(() => /\/dev\/pts\/\d+\r+\n17 91\r+\n/.test(terminal.output()), { timeoutMs: 15_000, description: 'a pts of 17 rows × 91 columns' });
  terminal.resize(132, 43);
  // The client hears SIGWINCH and sends the size (kubectl on channel 4); the agent resizes its pty and runc the container's: ask until it shows.
  await waitFor(
    () => {
      terminal.write('busybox stty size\r');
      return /\n43 132\r+\n/.test(terminal.output());
    },
    { timeoutMs: 15_000, intervalMs: 300, description: '43 rows × 132 columns' },
  );
  terminal.write('exit 4\r');
  expect(await terminal.exited).toBe(4);
}

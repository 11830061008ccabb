// ctl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS…]: runs a command in
// a running container, relayed by the control plane to the agent, as kubectl
// exec does: -i passes stdin, -t (with -i, on a terminal) gives the command a
// terminal, puts ours in raw mode and passes its resizes on; ctl exits with
// the command's exit code.
import { defaultContainerOf, type Pod } from '@skiff/api';
import type { Command } from 'commander';
import type { ExecCall } from '../client.js';
import type { CliContext, CliTerminal } from '../context.js';
import { CliError } from '../errors.js';

interface ExecFlags {
  container?: string;
  stdin: boolean;
  tty: boolean;
  namespace?: string;
}

/** What the flags and the terminal make of one exec. */
export interface ExecPlan {
  readonly pod: string;
  readonly command: readonly string[];
  readonly container?: string;
  readonly stdin: boolean;
  readonly tty: boolean;
  /** Said on stderr before it runs (a -t that cannot be honoured). */
  readonly warning?: string;
}

const NO_TTY_WARNING = 'Unable to use a TTY - input is not a terminal or the right kind of file';

/**
 * kubectl's rules: the command comes after `--`; -t means a terminal only
 * with -i (else it is dropped silently) and only if stdin is one (else with
 * a warning).
 */
export function planExec(podArg: string, command: readonly string[], flags: ExecFlags, stdinIsTerminal: boolean): ExecPlan {
  const pod = podArg.replace(/^(pods?|po)\//, '');
  if (!pod || pod.includes('/')) throw new CliError(`error: expected a pod name (or pod/NAME), not "${podArg}"`);
  if (command.length === 0) throw new CliError('error: you must specify at least one command for the container: ctl exec POD -- COMMAND [ARGS…]');
  const tty = flags.tty && flags.stdin && stdinIsTerminal;
  return {
    pod,
    command: [...command],
    ...(flags.container !== undefined ? { container: flags.container } : {}),
    stdin: flags.stdin,
    tty,
    ...(flags.tty && flags.stdin && !stdinIsTerminal ? { warning: NO_TTY_WARNING } : {}),
  };
}

export function registerExec(program: Command, context: CliContext): void {
  program
    .command('exec')
    .description('run a command in a running container')
    .usage('POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS…]')
    .argument('<pod>', 'pod name (or pod/NAME)')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'container name (default: the kubectl.kubernetes.io/default-container annotation, else the only or first container)')
    .option('-i, --stdin', "pass ctl's stdin to the command", false)
    .option('-t, --tty', 'give the command a terminal (with -i, when stdin is one)', false)
    .option('-n, --namespace <namespace>', "namespace of the pod (default: the context's, else default)")
    .addHelpText('after', '\nExamples:\n  ctl exec web -- ls /\n  ctl exec -it web -c main -- sh\n  echo hi | ctl exec -i web -- cat\n')
    .action(async (podArg: string, command: string[], flags: ExecFlags, self: Command) => {
      if (command.length > 0 && !rawArgs(self).includes('--')) {
        throw new CliError('error: exec [POD] [COMMAND] is not supported; use exec [POD] -- [COMMAND] instead');
      }
      const terminal = context.terminal;
      const plan = planExec(podArg, command, flags, terminal?.isTerminal === true);
      if (plan.warning) context.stderr.write(`${plan.warning}\n`);
      const namespace = flags.namespace ?? context.defaultNamespace();
      const client = context.client();
      let container = plan.container;
      if (container === undefined) {
        const pod = (await client.get({ kind: 'Pod', namespace, name: plan.pod }).catch((error: unknown) => {
          throw client.explain(error);
        })) as Pod;
        const chosen = defaultContainerOf(pod);
        if (chosen.note) context.stderr.write(`${chosen.note}\n`);
        container = chosen.name;
      }
      const size = plan.tty ? terminal?.size() : undefined;
      const call = client.exec(
        {
          namespace,
          pod: plan.pod,
          container,
          command: plan.command,
          stdin: plan.stdin,
          tty: plan.tty,
          terminalSize: size ?? { width: 80, height: 24 },
        },
        { stdout: context.stdout, stderr: context.stderr },
      );
      const code = await relay(call, plan, terminal);
      if (code !== 0) throw new CliError(`command terminated with exit code ${code}`, code);
    });
}

/** Passes stdin and resizes on until the command ends; leaves the terminal as it found it. */
async function relay(call: ExecCall, plan: ExecPlan, terminal: CliTerminal | undefined): Promise<number> {
  const undo: (() => void)[] = [];
  let finished = false;
  try {
    if (plan.stdin && terminal) {
      const { stdin } = terminal;
      // Flow control: stdin is not read while the call cannot take more.
      const onData = (chunk: Buffer | string) => {
        if (!call.stdin(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
          stdin.pause();
          call.onDrain(() => finished || stdin.resume());
        }
      };
      const onEnd = () => call.closeStdin();
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      undo.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        // Not reading any more: the process may exit although stdin stays open.
        stdin.pause();
      });
    } else if (plan.stdin) {
      call.closeStdin();
    }
    if (plan.tty && terminal) {
      terminal.setRaw(true);
      undo.push(() => terminal.setRaw(false));
      undo.push(
        terminal.onResize(() => {
          const size = terminal.size();
          if (size) call.resize(size);
        }),
      );
    }
    return await call.exited;
  } finally {
    finished = true;
    for (const step of undo.reverse()) step();
  }
}

/** The words ctl was given (to tell `exec web -- ls` from `exec web ls`); commander keeps them, untyped, on the root. */
function rawArgs(command: Command): readonly string[] {
  let root = command;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
}

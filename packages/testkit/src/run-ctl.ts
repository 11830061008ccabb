// Runs the real ctl binary against a server and collects what it printed.
import { CTL_MAIN } from './repo-paths.js';
import { runCommand, type CommandResult, type RunCommandOptions } from './run-command.js';

export type CtlResult = CommandResult;

/** stdin, env, timeoutMs (default 30 s), and netns: run ctl inside that network namespace. */
export type RunCtlOptions = RunCommandOptions;

/** Runs ctl with `--kubeconfig kubeconfig` (none: ctl finds its own, from the environment). */
export function runCtl(kubeconfig: string | undefined, args: readonly string[], options: RunCtlOptions = {}): Promise<CtlResult> {
  const fullArgs = kubeconfig === undefined ? [...args] : ['--kubeconfig', kubeconfig, ...args];
  return runCommand(process.execPath, [CTL_MAIN, ...fullArgs], options);
}

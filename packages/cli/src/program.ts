// The ctl command tree.
import { Command } from 'commander';
import { registerApiResources } from './commands/api-resources.js';
import { registerApply } from './commands/apply.js';
import { registerCordon } from './commands/cordon.js';
import { registerLogs } from './commands/logs.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerScale } from './commands/scale.js';
import type { CliContext } from './context.js';

export function buildProgram(context: CliContext, serverFlag: { value?: string }): Command {
  const program = new Command('ctl')
    .description('Skiff command-line client: apply manifests and inspect the cluster, kubectl-style')
    .option('-s, --server <host:port>', 'control plane address (else SKIFF_SERVER, ~/.skiff/config.yaml, 127.0.0.1:7400)')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .exitOverride();
  program.hook('preAction', (command) => {
    serverFlag.value = command.opts<{ server?: string }>().server;
  });
  for (const register of [registerApply, registerGet, registerDescribe, registerDelete, registerScale, registerLogs, registerCordon, registerApiResources]) {
    register(program, context);
  }
  return program;
}

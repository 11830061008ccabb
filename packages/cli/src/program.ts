// The ctl command tree.
import { Command } from 'commander';
import { registerApiResources } from './commands/api-resources.js';
import { registerApply } from './commands/apply.js';
import { registerAuth } from './commands/auth.js';
import { registerAutoscale } from './commands/autoscale.js';
import { registerConfig } from './commands/config.js';
import { registerCordon } from './commands/cordon.js';
import { registerCreate } from './commands/create.js';
import { registerLogs } from './commands/logs.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerExec } from './commands/exec.js';
import { registerGet } from './commands/get.js';
import { registerScale } from './commands/scale.js';
import { registerRollout } from './commands/rollout.js';
import { registerSetImage } from './commands/set-image.js';
import { registerTop } from './commands/top.js';
import type { ConnectionFlags } from './connection/connection.js';
import type { CliContext } from './context.js';

const REGISTER = [
  registerApply,
  registerGet,
  registerDescribe,
  registerDelete,
  registerScale,
  registerAutoscale,
  registerRollout,
  registerSetImage,
  registerLogs,
  registerExec,
  registerTop,
  registerCordon,
  registerApiResources,
  registerCreate,
  registerAuth,
  registerConfig,
];

/** Builds the tree; the global flags land in `flags` (the context's) before a command runs. */
export function buildProgram(context: CliContext, flags: ConnectionFlags = context.flags): Command {
  const program = new Command('ctl')
    .description('Skiff command-line client: apply manifests and inspect the cluster, kubectl-style')
    .option('--kubeconfig <file>', 'kubeconfig to use (else SKIFF_CONFIG, else the first file of KUBECONFIG (the rest of that list is not merged), else ~/.skiff/config)')
    .option('--context <name>', 'kubeconfig context to use (else its current-context)')
    .option('-s, --server <address>', "override the context's server: https://HOST:PORT (or HOST:PORT); several comma-separated, tried in turn")
    .addHelpText(
      'after',
      "\nctl talks gRPC over TLS to the server of a kubeconfig context (https://HOST:PORT), trusting only the cluster's CA and\n" +
        "proving who you are with the context user's client certificate or token. The control plane writes one for its admin\n" +
        'to admin.kubeconfig in its data dir: copy it to ~/.skiff/config.\n',
    )
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .exitOverride();
  program.hook('preAction', (command) => {
    const options = command.opts<ConnectionFlags>();
    flags.kubeconfig = options.kubeconfig;
    flags.context = options.context;
    flags.server = options.server;
  });
  for (const register of REGISTER) register(program, context);
  return program;
}

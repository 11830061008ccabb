// Runs the real ctl binary against a server and collects what it printed.
import { spawn } from 'node:child_process';
import { CTL_MAIN } from './repo-paths.js';

export interface CtlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCtlOptions {
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Runs ctl with `--kubeconfig kubeconfig` (none: ctl finds its own, from the environment). */
export function runCtl(kubeconfig: string | undefined, args: readonly string[], options: RunCtlOptions = {}): Promise<CtlResult> {
  const fullArgs = kubeconfig === undefined ? [...args] : ['--kubeconfig', kubeconfig, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CTL_MAIN, ...fullArgs], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ctl ${fullArgs.join(' ')} did not finish in ${options.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

// Which kubeconfig ctl reads: --kubeconfig FILE, else SKIFF_CONFIG, else the
// first file of KUBECONFIG (a colon-separated list; ctl does not merge the
// rest), else ~/.skiff/config. Read once per run; absent is not an error
// until something needs a server or a context.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { emptyKubeconfig, parseKubeconfig, SkiffError, withCurrentContext, type Kubeconfig } from '@skiff/api';
import { CliError } from '../errors.js';

export interface KubeconfigLocation {
  readonly path: string;
  /** How messages name the file: `~/.skiff/config` under the home directory, else the path as given. */
  readonly display: string;
  /** Where the path came from, for "no kubeconfig" messages. */
  readonly from: '--kubeconfig' | 'SKIFF_CONFIG' | 'KUBECONFIG' | 'default';
}

export interface KubeconfigFile extends KubeconfigLocation {
  /** Undefined when the file does not exist. */
  readonly config: Kubeconfig | undefined;
  /** The directory relative file paths inside it (certificate-authority, client-key…) are read from. */
  readonly dir: string;
}

export interface Environment {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
}

export function locateKubeconfig(flag: string | undefined, { env, home }: Environment): KubeconfigLocation {
  const display = (path: string): string => (path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path);
  if (flag) return { path: flag, display: display(flag), from: '--kubeconfig' };
  if (env.SKIFF_CONFIG) return { path: env.SKIFF_CONFIG, display: display(env.SKIFF_CONFIG), from: 'SKIFF_CONFIG' };
  const first = env.KUBECONFIG?.split(':').find((entry) => entry !== '');
  if (first) return { path: first, display: display(first), from: 'KUBECONFIG' };
  const path = join(home, '.skiff', 'config');
  return { path, display: display(path), from: 'default' };
}

export function readKubeconfig(location: KubeconfigLocation): KubeconfigFile {
  const dir = dirname(resolve(location.path));
  if (!existsSync(location.path)) return { ...location, dir, config: undefined };
  try {
    return { ...location, dir, config: parseKubeconfig(readFileSync(location.path, 'utf8'), location.display) };
  } catch (error) {
    throw asCliError(error);
  }
}

/** The file's config, or an error saying where ctl looked and how to give it one. */
export function requireConfig(file: KubeconfigFile): Kubeconfig {
  if (file.config) return file.config;
  const from = file.from === 'default' ? '' : ` (from ${file.from})`;
  throw new CliError(
    `error: no kubeconfig at ${file.display}${from}. Copy the admin.kubeconfig the control plane wrote in its data dir ` +
      `(default /var/lib/skiff/controlplane) to ~/.skiff/config, or name one with --kubeconfig FILE, SKIFF_CONFIG or KUBECONFIG`,
  );
}

/** The config to show when the file may be absent, as kubectl shows an empty Config. */
export function configOrEmpty(file: KubeconfigFile): Kubeconfig {
  return file.config ?? emptyKubeconfig();
}

/** Rewrites current-context in place: the file keeps its mode (0600) and everything else in it. */
export function writeCurrentContext(file: KubeconfigFile, name: string): void {
  try {
    writeFileSync(file.path, withCurrentContext(readFileSync(file.path, 'utf8'), name, file.display));
  } catch (error) {
    throw asCliError(error);
  }
}

/** A SkiffError from @skiff/api (a bad field, a missing context) as the one-line error ctl prints. */
export function asCliError(error: unknown): unknown {
  return error instanceof SkiffError ? new CliError(`error: ${error.message}`) : error;
}

// Where the control plane is: --server, then SKIFF_SERVER, then the config file
// (~/.skiff/config.yaml or SKIFF_CONFIG, key `server`), then the local default.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors.js';

export const DEFAULT_SERVER = '127.0.0.1:7400';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SKIFF_CONFIG ?? join(homedir(), '.skiff', 'config.yaml');
}

export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.SKIFF_SERVER) return env.SKIFF_SERVER;
  const path = configPath(env);
  if (existsSync(path)) {
    let config: unknown;
    try {
      config = parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new CliError(`config file ${path}: not valid YAML (${(error as Error).message})`);
    }
    const server = (config as { server?: unknown } | null)?.server;
    if (server !== undefined) {
      if (typeof server !== 'string' || server === '') {
        throw new CliError(`config file ${path}: "server" must be a host:port string, e.g. server: 127.0.0.1:7400`);
      }
      return server;
    }
  }
  return DEFAULT_SERVER;
}

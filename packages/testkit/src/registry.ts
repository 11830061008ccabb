// A throw-away OCI registry for tests: the distribution project's registry
// ("docker-registry" in Debian) with a config written here, so it listens on
// 127.0.0.1 only (its built-in default is every interface) and stores blobs
// in a temp dir. No TLS (clients treat loopback as plain HTTP); no auth
// unless asked for, then basic auth against an htpasswd file.
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { onAbnormalExit, startProcess, type ManagedProcess } from './managed-process.js';
import { waitFor } from './wait-for.js';

export interface StartRegistryOptions {
  /** Listen on 127.0.0.1:port instead of a free port (the dev cluster uses 5000). */
  port?: number;
  /** How long to wait for GET /v2/ to answer 200 (default 20 s; it is usually ready in well under 1 s). */
  readyTimeoutMs?: number;
  /**
   * Require basic auth: htpasswd lines ("user:<bcrypt hash>", the only hash
   * the registry accepts). Anonymous requests then get 401.
   */
  htpasswd?: string;
}

export interface RunningRegistry {
  /** "127.0.0.1:PORT", as image references and skopeo want it. */
  readonly address: string;
  /** The filesystem storage root (blobs are under docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data). */
  readonly storageDir: string;
  readonly process: ManagedProcess;
  /** Stops the registry and removes its storage. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
// freePort() releases the port before the registry binds it; another process
// can take it in between. Rare, so a few fresh attempts are enough.
const PORT_ATTEMPTS = 3;

function registryBinary(): string {
  return process.env['SKIFF_REGISTRY_BIN'] ?? 'docker-registry';
}

function config(storageDir: string, port: number, htpasswdPath?: string): string {
  const auth = htpasswdPath === undefined ? [] : ['auth:', '  htpasswd:', '    realm: skiff-test', `    path: ${JSON.stringify(htpasswdPath)}`];
  // Indentation matters (YAML). No "debug" section: it would open a second listener.
  return [
    ...auth,
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/**
 * The environment without REGISTRY_* variables: the registry lets them
 * override any config value, including http.addr, and a stray one must not
 * move the listener off loopback.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('REGISTRY_')) env[key] = undefined;
  return env;
}

class StartError extends Error {
  constructor(
    message: string,
    readonly processOutput: string,
  ) {
    super(message);
  }
}

async function launch(
  dir: string,
  readyTimeoutMs: number,
  fixedPort?: number,
  htpasswd?: string,
): Promise<{ child: ManagedProcess; address: string }> {
  const port = fixedPort ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const configPath = join(dir, 'config.yml');
  let htpasswdPath: string | undefined;
  if (htpasswd !== undefined) {
    htpasswdPath = join(dir, 'htpasswd');
    await writeFile(htpasswdPath, htpasswd.endsWith('\n') ? htpasswd : `${htpasswd}\n`);
  }
  await writeFile(configPath, config(join(dir, 'storage'), port, htpasswdPath));
  const child = startProcess({
    name: `registry:${port}`,
    command: registryBinary(),
    args: ['serve', configPath],
    env: cleanEnv(),
  });
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const url = `http://${address}/v2/`;
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error('the registry exited');
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await response.body?.cancel();
        // With auth, an anonymous GET /v2/ is answered 401 once the registry serves.
        return response.status === 200 || (htpasswd !== undefined && response.status === 401);
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 25, description: `the registry to answer ${url}` },
    );
    return { child, address };
  } catch (error) {
    await child.stop(1000);
    const reason = exited ? 'the registry exited during start-up' : error instanceof Error ? error.message : String(error);
    throw new StartError(`${reason}\n--- registry output ---\n${child.output()}`, child.output());
  }
}

/** Starts a registry on a free 127.0.0.1 port and resolves once GET /v2/ answers (200, or 401 with htpasswd). */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  // A test run that dies without stop() must not leave the storage behind.
  const forgetDir = onAbnormalExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const { child, address } = await launch(dir, readyTimeoutMs, options.port, options.htpasswd);
        let stopped: Promise<void> | undefined;
        return {
          address,
          storageDir: join(dir, 'storage'),
          process: child,
          stop: () => {
            stopped ??= (async () => {
              await child.stop();
              await rm(dir, { recursive: true, force: true });
              forgetDir();
            })();
            return stopped;
          },
        };
      } catch (error) {
        const clash = error instanceof StartError && /address already in use/i.test(error.processOutput);
        if (!clash || attempt >= PORT_ATTEMPTS || options.port !== undefined) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    forgetDir();
    throw error;
  }
}

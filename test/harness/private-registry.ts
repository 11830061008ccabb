// A registry that needs credentials (htpasswd basic auth) holding the busybox
// test image as <address>/private/busybox:1, for the pull-secret tests.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildBusyboxImage, startRegistry, type RunningRegistry } from '@skiff/testkit';

export const PRIVATE_USER = 'puller';
export const PRIVATE_PASSWORD = 'skiff-pull-test';
// bcrypt (cost 4) of PRIVATE_PASSWORD, the hash docker-registry's htpasswd auth requires; made once with
// python3 -c "import crypt; print(crypt.crypt('skiff-pull-test', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"
const PASSWORD_BCRYPT = '$2b$04$jl0MyuxNRxj4h90R6G5HTOt/m/1TQ4Zr7GZhZJ/ecoD.bjiZtGf/u';

export interface PrivateRegistry {
  readonly registry: RunningRegistry;
  /** <address>/private/busybox:1 */
  readonly image: string;
}

/** Starts the registry and pushes the image with the credentials; the caller stops the registry. */
export async function startPrivateRegistry(workDir: string): Promise<PrivateRegistry> {
  const registry = await startRegistry({ htpasswd: `${PRIVATE_USER}:${PASSWORD_BCRYPT}` });
  try {
    const layout = join(workDir, 'layout');
    await buildBusyboxImage(layout);
    const image = `${registry.address}/private/busybox:1`;
    await promisify(execFile)('skopeo', [
      '--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `--dest-creds=${PRIVATE_USER}:${PRIVATE_PASSWORD}`,
      `oci:${layout}:latest`, `docker://${image}`,
    ]);
    return { registry, image };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

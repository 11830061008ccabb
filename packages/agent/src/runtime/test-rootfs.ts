// A minimal image layer for tests: no registry can be reached here, so tests
// build their own rootfs from the host's static busybox. Lives beside the code
// (not in a test file) so other packages' tests can reuse it.

import { copyFile, chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';

/** Applets linked into bin/: what the runtime tests and simple demo services use. */
export const BUSYBOX_APPLETS: readonly string[] = [
  'sh',
  'echo',
  'sleep',
  'cat',
  'dd',
  'head',
  'tail',
  'tr',
  'true',
  'false',
  'httpd',
  'ls',
  'env',
  'hostname',
  'ps',
  'kill',
  'wc',
  'grep',
  'id',
  'readlink',
  'pwd',
];

export interface BusyboxLayerOptions {
  /** Static busybox to copy; default /bin/busybox (Debian's busybox-static). */
  readonly busybox?: string;
  /** Content of www/index.html, served by `httpd -f -h /www -p PORT`. */
  readonly indexHtml?: string;
}

/**
 * Fills `dir` with a layer: bin/busybox plus applet symlinks, www/index.html,
 * and the empty directories programs expect (tmp, etc, proc, sys, dev). Returns `dir`.
 */
export async function makeBusyboxLayer(dir: string, options: BusyboxLayerOptions = {}): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await copyFile(options.busybox ?? '/bin/busybox', path.join(bin, 'busybox'));
  await chmod(path.join(bin, 'busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) {
    await symlink('busybox', path.join(bin, applet));
  }
  for (const empty of ['tmp', 'etc', 'proc', 'sys', 'dev', 'www']) {
    await mkdir(path.join(dir, empty), { recursive: true });
  }
  await chmod(path.join(dir, 'tmp'), 0o1777);
  await writeFile(path.join(dir, 'www', 'index.html'), options.indexHtml ?? '<h1>hello from skiff</h1>\n');
  return dir;
}

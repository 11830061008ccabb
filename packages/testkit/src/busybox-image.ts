// Builds (and optionally pushes) the busybox test image with
// build-busybox-image.sh; see that script for what the image contains.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BUSYBOX_IMAGE_SCRIPT = fileURLToPath(new URL('../../../test/images/build-busybox-image.sh', import.meta.url));
/** What /www/index.html in the image says. */
export const BUSYBOX_INDEX_HTML = 'hello from the skiff busybox image\n';
/** Repository and tag the script pushes to. */
export const BUSYBOX_REPOSITORY = 'skiff/busybox';

export interface BusyboxImage {
  /** The OCI image layout directory (= outDir). */
  readonly layoutDir: string;
  /** REGISTRY/skiff/busybox:latest when pushed. */
  readonly reference?: string;
  /** Digest of the image manifest, the same in the layout and the registry. */
  readonly digest: string;
}

/** Builds the image into `outDir` (created; must be empty) and pushes it to `registry` (host:port) if given. */
export function buildBusyboxImage(outDir: string, registry?: string): Promise<BusyboxImage> {
  const args = registry === undefined ? [outDir] : [outDir, registry];
  return new Promise<BusyboxImage>((resolve, reject) => {
    execFile('bash', [BUSYBOX_IMAGE_SCRIPT, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`build-busybox-image.sh failed: ${error.message}\n${stderr}`, { cause: error }));
        return;
      }
      const digest = stdout.trim().split('\n').pop() ?? '';
      if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
        reject(new Error(`build-busybox-image.sh printed no digest:\n${stdout}\n${stderr}`));
        return;
      }
      resolve({
        layoutDir: outDir,
        digest,
        ...(registry === undefined ? {} : { reference: `${registry}/${BUSYBOX_REPOSITORY}:latest` }),
      });
    });
  });
}

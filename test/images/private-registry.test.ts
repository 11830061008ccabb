// A private registry (htpasswd basic auth) and a pod's imagePullSecrets: the
// image is refused without credentials or with wrong ones, and pulled with a
// kubernetes.io/dockerconfigjson Secret, as the agent reads it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Secret } from '@skiff/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePullError, RegistryImageStore, pullCredentialsOf, registryGet, type RegistryFetch } from '@skiff/agent';
import { BUSYBOX_INDEX_HTML, rejectionOf, type RunningRegistry } from '@skiff/testkit';
import { PRIVATE_PASSWORD as PASSWORD, PRIVATE_USER as USER, startPrivateRegistry } from '../harness/private-registry.js';

const work = mkdtempSync(join(tmpdir(), 'skiff-private-registry-'));
let registry: RunningRegistry | undefined;
let reference = '';

beforeAll(async () => {
  ({ registry, image: reference } = await startPrivateRegistry(work));
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

let roots = 0;
/** A store whose registry requests are recorded as "METHOD path" (what was asked, never the credentials). */
function store(requests: string[] = []): RegistryImageStore {
  const fetchLogged: RegistryFetch = (input, init) => {
    requests.push(`GET ${new URL(input).pathname}`);
    return registryGet(input, init);
  };
  return new RegistryImageStore({ root: join(work, `store-${++roots}`), fetch: fetchLogged });
}

function dockerConfigSecret(auth: Record<string, string>): Secret {
  const config = { auths: { [`http://${registry?.address ?? ''}/v2/`]: auth } };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'regcred', namespace: 'shop' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  };
}

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'web', image: 'unused' }] },
};

async function credentialsFrom(secret: Secret) {
  const asked: string[] = [];
  const lookup = await pullCredentialsOf(pod, (namespace, name) => {
    asked.push(`${namespace}/${name}`);
    return Promise.resolve(secret);
  });
  expect(asked).toEqual(['shop/regcred']);
  if (!lookup) throw new Error('the pod has pull secrets, so there are credentials');
  return lookup;
}

describe('a private registry and imagePullSecrets', () => {
  it('refuses the pull without credentials and with a wrong password', async () => {
    const anonymous = await rejectionOf(store().ensure(reference, 'Always'), ImagePullError);
    expect(anonymous.reason).toBe('unauthorized');
    expect(anonymous.message).toMatch(/requires authentication.*no credentials are configured/);

    const wrong = await credentialsFrom(dockerConfigSecret({ username: USER, password: 'not-it' }));
    const refused = await rejectionOf(store().ensure(reference, 'Always', { credentials: wrong }), ImagePullError);
    expect(refused.reason).toBe('unauthorized');
    expect(refused.message).not.toContain('not-it');
  });

  it('pulls with a dockerconfigjson Secret (auth: base64 user:password), and Always re-resolves reusing the layers', async () => {
    const credentials = await credentialsFrom(dockerConfigSecret({ auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') }));
    const requests: string[] = [];
    const images = store(requests);
    const pulled = await images.ensure(reference, 'Always', { credentials });
    const [layer] = pulled.layers;
    if (!layer) throw new Error('the image has a layer');
    expect(readFileSync(join(layer, 'www', 'index.html'), 'utf8')).toBe(BUSYBOX_INDEX_HTML);
    expect(requests.some((request) => request.includes('/blobs/'))).toBe(true);
    requests.length = 0;
    expect((await images.ensure(reference, 'Always', { credentials })).layers).toEqual(pulled.layers);
    // The tag is asked for again; no blob is downloaded again.
    expect(requests.filter((request) => request.endsWith('/manifests/1')).length).toBeGreaterThan(0);
    expect(requests.filter((request) => request.includes('/blobs/'))).toEqual([]);
    // Once present, IfNotPresent and Never need no registry at all (as in Kubernetes).
    expect((await images.ensure(reference, 'Never')).digest).toBe(pulled.digest);
  });
});

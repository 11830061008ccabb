// Rotating the key Secrets are encrypted under (`skiff-controlplane
// rotate-secrets-key`): a fresh key goes first in the key file, running
// control planes pick it up (encrypted-secret-codec.ts), then every Secret is
// rewritten under it by compare-and-swap, so a concurrent write is never lost:
// the loser re-reads and, if that write already used the new key, is done.
// The older keys stay in the file; remove them by hand once no value needs them.
import { setTimeout as delay } from 'node:timers/promises';
import { FailedPreconditionError, NotFoundError, kindInfo } from '@skiff/api';
import type { KeyValue, Store } from '../store/store.js';
import { EncryptedSecretCodec, KEY_FILE_CHECK_INTERVAL_MS, encryptionKeyNameOf } from './encrypted-secret-codec.js';
import { ObjectCodec } from './object-codec.js';
import { kindPrefix } from './object-keys.js';
import { retryOnConflict } from './retry-on-conflict.js';
import { addEncryptionKey } from './secret-encryption-keys.js';

const SECRET = kindInfo('Secret');

/** Rewriting passes until a list finds no Secret under an older key; needing more means a writer ignores the new key. */
const MAX_PASSES = 5;

export interface RotateSecretsKeyOptions {
  readonly store: Store;
  readonly keyFilePath: string;
  /**
   * How long running control planes get to notice the new key before the
   * Secrets are rewritten (default: twice the interval they check at).
   */
  readonly settleMs?: number;
  readonly now?: () => Date;
}

export interface RotateSecretsKeyResult {
  /** The key every Secret is now encrypted under. */
  readonly keyName: string;
  /** Secrets this rotation rewrote (others were already under the new key, or deleted meanwhile). */
  readonly rewritten: number;
}

export async function rotateSecretsKey(options: RotateSecretsKeyOptions): Promise<RotateSecretsKeyResult> {
  const { store, keyFilePath } = options;
  await addEncryptionKey(keyFilePath, options.now);
  await delay(options.settleMs ?? 2 * KEY_FILE_CHECK_INTERVAL_MS);
  // Opened after the key was added, so its first key is the new one (or a newer one, should two rotations overlap).
  const secrets = await EncryptedSecretCodec.open(keyFilePath);
  const objects = new ObjectCodec(secrets);
  const keyName = secrets.currentKeyName;
  const stale = (kv: KeyValue): boolean => encryptionKeyNameOf(kv.value) !== keyName;

  let rewritten = 0;
  for (let pass = 0; ; pass++) {
    const left = (await store.list(kindPrefix(SECRET))).items.filter(stale);
    if (left.length === 0) return { keyName, rewritten };
    if (pass === MAX_PASSES) break;
    for (const listed of left) {
      let kv: KeyValue | undefined = listed;
      const done = await retryOnConflict(async () => {
        kv ??= await store.get(listed.key);
        if (!kv || !stale(kv)) return false;
        const value = secrets.toStorage(objects.plaintextOf(SECRET, kv), kv.key);
        try {
          await store.update(kv.key, value, kv.modRevision);
          return true;
        } catch (error) {
          if (error instanceof NotFoundError) return false; // deleted meanwhile: nothing left to protect
          kv = undefined; // lost a race: read it again
          throw error;
        }
      });
      if (done) rewritten++;
    }
  }
  throw new FailedPreconditionError(
    `Secrets are still being written under an older key after ${MAX_PASSES} rewriting passes (${rewritten} rewritten under "${keyName}"): a control plane does not read ${keyFilePath}; make every control plane use this data dir's key file, then run rotate-secrets-key again`,
  );
}

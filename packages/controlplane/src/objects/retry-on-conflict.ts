// Read-modify-write loops lose a compare-and-swap when another writer got there
// first; the loser re-reads and tries again, so no accepted write is lost.
import { AlreadyExistsError, BACKOFF, ConflictError, backoffDelay } from '@skiff/api';
import { setTimeout as delay } from 'node:timers/promises';

const MAX_ATTEMPTS = 200;

export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const lostRace = error instanceof ConflictError || error instanceof AlreadyExistsError;
      if (!lostRace || tries >= MAX_ATTEMPTS) throw error;
      // Jittered, capped back-off: contenders spread out instead of colliding again.
      await delay(backoffDelay(BACKOFF.conflict, tries));
    }
  }
}

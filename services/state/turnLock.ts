/**
 * Serialises turns per conversation across every bot instance.
 *
 * `BotState.saveChanges` writes with eTag `*` (last writer wins), so two messages of one conversation
 * processed at once could lose or repeat a dialog step. Holding a short Redis lock for the whole turn
 * (load state → run dialogs → save state) makes turns of one conversation run one after another, while
 * different conversations still run in parallel. The lock is kept alive while its turn runs and has a
 * timeout, so a crashed instance cannot block a conversation for longer than `lockMs`.
 *
 * The lock can be taken by a caller's own script (`acquire`: e.g. lock + state read in one round trip,
 * services/state/turnState.ts) and released by one (`lease.released = true` after a script that released
 * it); otherwise it is SET NX PX and a compare-and-delete by EVALSHA.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { RedisClient, Keys } from '../redis';
import { defineScript, type ScriptFn } from './scripts';

const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Deletes the lock only while `owner` (ARGV[1]) still holds it. */
export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class TurnLockTimeoutError extends Error {
  constructor() {
    super('Another turn of this conversation is still running; try again in a moment.');
    this.name = 'TurnLockTimeoutError';
  }
}

export interface TurnLockOptions {
  /** What the locks serialise, and the hash-tag kind of their keys (default `conv`: turns of a conversation). */
  kind?: string;
  /** How long a held lock lives before Redis frees it (crash safety). */
  lockMs: number;
  /** How long a turn waits for the lock before giving up. */
  waitMs: number;
  /** Where a failed heartbeat or release is reported (the work itself carries on). */
  logger?: Pick<Logger, 'warn'>;
}

/** One holding of a lock: its key, its owner token, and whether a script of the caller already released it. */
export interface LockLease {
  readonly key: string;
  readonly owner: string;
  readonly lockMs: number;
  released: boolean;
}

export class TurnLock {
  private readonly release: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: TurnLockOptions,
  ) {
    this.release = defineScript(redis, 'pbLockRelease', 1, RELEASE_LUA);
  }

  /** The lock key of `id`: shares the `{kind:id}` hash tag with the state kept for the same id. */
  keyOf(id: string): string {
    return this.keys.tagged(this.options.kind ?? 'conv', id, 'lock');
  }

  /**
   * Runs `fn` while holding the lock of `id` (a conversation, or an account for `kind: 'acct'`).
   * `acquire` replaces the plain SET NX PX (it must set `lease.key` to `lease.owner` with `lease.lockMs`
   * only if the key is free, and resolve true when it did).
   */
  async withLock<T>(id: string, fn: (lease: LockLease) => Promise<T>, acquire?: (lease: LockLease) => Promise<boolean>): Promise<T> {
    const lease: LockLease = { key: this.keyOf(id), owner: randomUUID(), lockMs: this.options.lockMs, released: false };
    const { key, owner } = lease;
    const take = acquire ?? (async () => (await this.redis.set(key, owner, 'PX', this.options.lockMs, 'NX')) === 'OK');
    const deadline = Date.now() + this.options.waitMs;
    let delay = 5;
    for (;;) {
      const got = await take(lease).catch((err: Error) => {
        // No answer (a paused Redis): the SET may still run when Redis resumes, leaving a lock nobody
        // holds for lockMs. Queue a release of this owner right behind it, on the same connection.
        this.release(key, owner).catch(() => undefined);
        throw err;
      });
      if (got) break;
      if (Date.now() >= deadline) throw new TurnLockTimeoutError();
      await new Promise((r) => setTimeout(r, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 100);
    }
    // While the work runs, keep the lock alive; if this process dies, it still lapses after lockMs.
    const heartbeat = setInterval(() => {
      if (lease.released) return;
      this.redis.eval(EXTEND_SCRIPT, 1, key, owner, String(this.options.lockMs)).catch((err: Error) => {
        // The lock may lapse while the work still runs: a concurrent turn could then start.
        this.options.logger?.warn({ err: { name: err.name, message: err.message }, lock: this.options.kind ?? 'conv' }, 'lock heartbeat failed');
      });
    }, Math.max(100, Math.floor(this.options.lockMs / 3)));
    try {
      return await fn(lease);
    } finally {
      clearInterval(heartbeat);
      if (!lease.released) {
        await this.release(key, owner).catch((err: Error) => {
          // Not fatal: the lock lapses after lockMs, and until then this conversation's next turn waits.
          this.options.logger?.warn({ err: { name: err.name, message: err.message }, lock: this.options.kind ?? 'conv' }, 'lock release failed');
        });
      }
    }
  }
}

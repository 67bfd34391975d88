/**
 * Serialises turns per conversation across every bot instance.
 *
 * `BotState.saveChanges` writes with eTag `*` (last writer wins), so two messages of one conversation
 * processed at once could lose or repeat a dialog step. Holding a short Redis lock for the whole turn
 * (load state → run dialogs → save state) makes turns of one conversation run one after another, while
 * different conversations still run in parallel. The lock is kept alive while its turn runs and has a
 * timeout, so a crashed instance cannot block a conversation for longer than `lockMs`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import type { RedisClient, Keys } from '../redis';

const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE_SCRIPT = `
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

export class TurnLock {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: TurnLockOptions,
  ) {}

  /** Runs `fn` while holding the lock of `id` (a conversation, or an account for `kind: 'acct'`). */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const key = this.keys.tagged(this.options.kind ?? 'conv', id, 'lock');
    const owner = randomBytes(12).toString('base64url');
    const deadline = Date.now() + this.options.waitMs;
    let delay = 5;
    for (;;) {
      const got = await this.redis.set(key, owner, 'PX', this.options.lockMs, 'NX').catch((err: Error) => {
        // No answer (a paused Redis): the SET may still run when Redis resumes, leaving a lock nobody
        // holds for lockMs. Queue a release of this owner right behind it, on the same connection.
        this.redis.eval(RELEASE_SCRIPT, 1, key, owner).catch(() => undefined);
        throw err;
      });
      if (got === 'OK') break;
      if (Date.now() >= deadline) throw new TurnLockTimeoutError();
      await new Promise((r) => setTimeout(r, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 100);
    }
    // While the work runs, keep the lock alive; if this process dies, it still lapses after lockMs.
    const heartbeat = setInterval(() => {
      this.redis.eval(EXTEND_SCRIPT, 1, key, owner, String(this.options.lockMs)).catch((err: Error) => {
        // The lock may lapse while the work still runs: a concurrent turn could then start.
        this.options.logger?.warn({ err: { name: err.name, message: err.message }, lock: this.options.kind ?? 'conv' }, 'lock heartbeat failed');
      });
    }, Math.max(100, Math.floor(this.options.lockMs / 3)));
    try {
      return await fn();
    } finally {
      clearInterval(heartbeat);
      await this.redis.eval(RELEASE_SCRIPT, 1, key, owner).catch((err: Error) => {
        // Not fatal: the lock lapses after lockMs, and until then this conversation's next turn waits.
        this.options.logger?.warn({ err: { name: err.name, message: err.message }, lock: this.options.kind ?? 'conv' }, 'lock release failed');
      });
    }
  }
}

/**
 * Three wrong answers to one security question lock the security-questions path of that account for
 * 24 hours — only that path: the account, reset by email and the practice-token path stay open.
 *
 * Counts live in Redis next to the account (`pb:{acct:<accountKeyId>}:sq:fail:<i>`, `…:sq:lock`), so they
 * hold across conversations and bot instances. Unknown usernames are counted the same way, so the lock's
 * behaviour does not reveal whether an account exists — and because the account part of the key is an
 * HMAC keyed with SERVER_SECRET, a typed "username" (which may be a mistyped password or an email) never
 * becomes a key name.
 */
import type { Keys, RedisClient } from '../redis';
import { accountKeyId } from '../directory/redis-directory';

/** What staff see about the lock of one account (`security:status`). */
export interface SecurityLockStatus {
  locked: boolean;
  /** When the lock lapses by itself (ISO time), if locked. */
  lockExpiresAt?: string;
  /** Wrong answers counted so far per question (cleared when the lock is set). */
  failures: [number, number];
  /** When each question's count lapses (ISO time), if any. */
  failuresExpireAt: [string | undefined, string | undefined];
}

export interface SecurityQuestionLock {
  /** Counts a wrong answer; `locked` is true once the path is (or already was) locked. */
  recordFailure(username: string, questionIndex: 0 | 1): Promise<{ triesLeft: number; locked: boolean }>;
  isLocked(username: string): Promise<boolean>;
  /** Clears the failure count of one question (after a right answer). */
  reset(username: string, questionIndex: 0 | 1): Promise<void>;
  /** Lifts the lock and clears both counts (staff, after verifying the patient). */
  unlock(username: string): Promise<void>;
  /** Locked or not, wrong answers per question, and when each lapses (staff, `security:status`). */
  status(username: string): Promise<SecurityLockStatus>;
}

export interface SecurityQuestionLockOptions {
  redis: RedisClient;
  keys: Keys;
  /** SERVER_SECRET: keys the account part of the key names. */
  serverSecret: string;
  /** Wrong answers allowed per question (default 3). */
  maxTries?: number;
  /** Lock duration (default 24 h). */
  lockSeconds?: number;
}

/** KEYS: this question's counter, the lock, the other question's counter. ARGV: max tries, lock seconds. */
const RECORD_FAILURE = `if redis.call('exists', KEYS[2]) == 1 then return {0, 1} end
local n = redis.call('incr', KEYS[1])
if n == 1 then redis.call('expire', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('set', KEYS[2], '1', 'EX', ARGV[2])
  redis.call('del', KEYS[1], KEYS[3])
  return {0, 1}
end
return {tonumber(ARGV[1]) - n, 0}`;

export class RedisSecurityQuestionLock implements SecurityQuestionLock {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly maxTries: number;
  private readonly lockSeconds: number;
  private readonly secret: string;

  constructor({ redis, keys, serverSecret, maxTries = 3, lockSeconds = 24 * 3600 }: SecurityQuestionLockOptions) {
    if (!serverSecret) throw new TypeError('RedisSecurityQuestionLock: serverSecret is required');
    this.secret = serverSecret;
    this.redis = redis;
    this.keys = keys;
    this.maxTries = maxTries;
    this.lockSeconds = lockSeconds;
  }

  private failKey(username: string, index: 0 | 1): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username), 'sq', 'fail', String(index));
  }
  private lockKey(username: string): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username), 'sq', 'lock');
  }

  async recordFailure(username: string, questionIndex: 0 | 1): Promise<{ triesLeft: number; locked: boolean }> {
    const other = questionIndex === 0 ? 1 : 0;
    const [triesLeft, locked] = (await this.redis.eval(
      RECORD_FAILURE,
      3,
      this.failKey(username, questionIndex),
      this.lockKey(username),
      this.failKey(username, other),
      String(this.maxTries),
      String(this.lockSeconds),
    )) as [number, number];
    return { triesLeft: Number(triesLeft), locked: Number(locked) === 1 };
  }

  async isLocked(username: string): Promise<boolean> {
    return (await this.redis.exists(this.lockKey(username))) === 1;
  }

  async reset(username: string, questionIndex: 0 | 1): Promise<void> {
    await this.redis.del(this.failKey(username, questionIndex));
  }

  async unlock(username: string): Promise<void> {
    await this.redis.del(this.lockKey(username), this.failKey(username, 0), this.failKey(username, 1));
  }

  async status(username: string): Promise<SecurityLockStatus> {
    const [lockKey, f0, f1] = [this.lockKey(username), this.failKey(username, 0), this.failKey(username, 1)];
    const r = (await this.redis.multi().exists(lockKey).pttl(lockKey).get(f0).pttl(f0).get(f1).pttl(f1).exec()) ?? [];
    const v = (i: number) => r[i]?.[1];
    const at = (ms: unknown) => (typeof ms === 'number' && ms > 0 ? new Date(Date.now() + ms).toISOString() : undefined);
    const locked = Number(v(0)) === 1;
    const status: SecurityLockStatus = {
      locked,
      failures: [Number(v(2) ?? 0), Number(v(4) ?? 0)],
      failuresExpireAt: [at(v(3)), at(v(5))],
    };
    if (locked) status.lockExpiresAt = at(v(1));
    return status;
  }
}

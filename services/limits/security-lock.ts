/**
 * Three wrong answers to one security question lock the security-questions path of that account for
 * 24 hours — only that path: the account, reset by email and the practice-token path stay open.
 *
 * Counts live in Redis next to the account (`pb:{acct:<username>}:sq:fail:<i>`, `…:sq:lock`), so they hold
 * across conversations and bot instances. Unknown usernames are counted the same way, so the lock's
 * behaviour does not reveal whether an account exists.
 */
import type { Keys, RedisClient } from '../redis';
import { normaliseIdentifier } from '../text/fold';

export interface SecurityQuestionLock {
  /** Counts a wrong answer; `locked` is true once the path is (or already was) locked. */
  recordFailure(username: string, questionIndex: 0 | 1): Promise<{ triesLeft: number; locked: boolean }>;
  isLocked(username: string): Promise<boolean>;
  /** Clears the failure count of one question (after a right answer). */
  reset(username: string, questionIndex: 0 | 1): Promise<void>;
  /** Lifts the lock and clears both counts (staff, after verifying the patient). */
  unlock(username: string): Promise<void>;
}

export interface SecurityQuestionLockOptions {
  redis: RedisClient;
  keys: Keys;
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

  constructor({ redis, keys, maxTries = 3, lockSeconds = 24 * 3600 }: SecurityQuestionLockOptions) {
    this.redis = redis;
    this.keys = keys;
    this.maxTries = maxTries;
    this.lockSeconds = lockSeconds;
  }

  private failKey(username: string, index: 0 | 1): string {
    return this.keys.tagged('acct', normaliseIdentifier(username), 'sq', 'fail', String(index));
  }
  private lockKey(username: string): string {
    return this.keys.tagged('acct', normaliseIdentifier(username), 'sq', 'lock');
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
}

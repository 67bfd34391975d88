/**
 * Test-only: forgets a rate-limit count, so a test does not depend on what an earlier test consumed.
 *
 * The product has no "reset a limit" operation (limits simply lapse); this deletes the counter key that
 * `services/limits` (rate-limiter-flexible) keeps: `<prefix>:rl:<name>:<sha256("<name>:<key>")>`.
 *
 * @example
 *   await forgetLimit(host.redis, new Keys(host.prefix), 'resetEmailsPerAccount', accountLimitKey(secret, 'salvarez85'));
 */
import type { Keys, RedisClient } from '../../services/redis';
import { sha256 } from '../../services/crypto';
import type { LimitName } from '../../services/limits';

/** The Redis key of one limit counter. */
export function limitCounterKey(keys: Keys, name: LimitName, key: string): string {
  return `${keys.plain('rl', name)}:${sha256(`${name}:${key}`)}`;
}

/** Deletes one limit counter (the next `consume` starts a fresh window). */
export async function forgetLimit(redis: Pick<RedisClient, 'del'>, keys: Keys, name: LimitName, key: string): Promise<void> {
  await redis.del(limitCounterKey(keys, name, key));
}

/**
 * Real Redis for tests: each test file uses its own db number and a unique key prefix, and deletes only
 * the keys it created (SCAN + DEL on its prefix) — never FLUSHDB, since other work shares this server.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

export function connectTestRedis(db: number): Redis {
  return new Redis(`${TEST_REDIS_URL}/${db}`, { maxRetriesPerRequest: 2 });
}

/** Deletes every key under `prefix` (and BullMQ's `prefix:*` keys alike). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

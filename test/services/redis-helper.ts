/**
 * Real Redis for service tests: db 11 on redis://127.0.0.1:6379 (override with TEST_REDIS_URL), a unique
 * key prefix per test file, and clean-up that deletes only keys under that prefix (SCAN + DEL, never FLUSHDB).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Keys } from '../../services/redis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

export interface TestRedis {
  redis: Redis;
  keys: Keys;
  prefix: string;
  /** Deletes every key under the prefix and disconnects. */
  cleanup(): Promise<void>;
}

export function testPrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (batch.length) deleted += await redis.del(...batch);
  } while (cursor !== '0');
  return deleted;
}

export function createTestRedis(name: string): TestRedis {
  const prefix = testPrefix(name);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
  return {
    redis,
    keys: new Keys(prefix),
    prefix,
    async cleanup() {
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    },
  };
}

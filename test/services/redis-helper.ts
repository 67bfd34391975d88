/**
 * Real Redis for service tests: db 11 (override the server with TEST_REDIS_URL), a unique key prefix per
 * test file, and clean-up that deletes only keys under that prefix — built on test/helpers/redis.ts.
 */
import type Redis from 'ioredis';
import { Keys } from '../../services/redis';
import { connectTestRedis, deletePrefix, TEST_REDIS_URL as SERVER_URL, uniquePrefix } from '../helpers/redis';

const DB = 11;
export const TEST_REDIS_URL = `${SERVER_URL}/${DB}`;
export { uniquePrefix as testPrefix, deletePrefix as deleteKeysWithPrefix };

export interface TestRedis {
  redis: Redis;
  keys: Keys;
  prefix: string;
  /** Deletes every key under the prefix and disconnects. */
  cleanup(): Promise<void>;
}

export function createTestRedis(name: string): TestRedis {
  const prefix = uniquePrefix(name);
  const redis = connectTestRedis(DB);
  return {
    redis,
    keys: new Keys(prefix),
    prefix,
    async cleanup() {
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}

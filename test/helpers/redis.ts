/**
 * Real Redis for tests: each test file uses its own db number and a unique key prefix, and deletes only
 * the keys it created (SCAN + DEL on its prefix) — never FLUSHDB, since other work shares this server.
 *
 * The server is `TEST_REDIS_URL` (default redis://127.0.0.1:6379, no db number): every test connects
 * through here, so pointing the suite at another server is one environment variable.
 *
 * @example
 *   const t = createTestRedis('tok');            // db 11, keys under t.prefix, Keys helper in t.keys
 *   …
 *   await t.cleanup();                          // deletes t.prefix:* and disconnects
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Keys } from '../../services/redis';

export const TEST_REDIS_URL = (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/+$/, '');

/** The URL of database `db` on the test server. */
export function testRedisUrl(db: number): string {
  return `${TEST_REDIS_URL}/${db}`;
}

/** A key prefix no other test run uses (letters, digits and "-", so it is also a valid REDIS_KEY_PREFIX). */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

export function connectTestRedis(db: number): Redis {
  return new Redis(testRedisUrl(db), { maxRetriesPerRequest: 2 });
}

/** Deletes every key matching the glob `pattern` (SCAN + DEL). */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Deletes every key under `prefix` (and BullMQ's `prefix:*` keys alike). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${prefix}:*`);
}

/** The db the service tests share (each with its own prefix). */
export const SERVICE_TEST_DB = 11;

export interface TestRedis {
  redis: Redis;
  keys: Keys;
  prefix: string;
  /** `TEST_REDIS_URL` with this connection's db number, e.g. for a REDIS_URL handed to a child process. */
  url: string;
  /** Deletes every key under the prefix and disconnects. */
  cleanup(): Promise<void>;
}

/** A connection to db `db` (default 11) with a fresh unique prefix, and its clean-up. */
export function createTestRedis(name: string, db = SERVICE_TEST_DB): TestRedis {
  const prefix = uniquePrefix(name);
  const redis = connectTestRedis(db);
  return {
    redis,
    keys: new Keys(prefix),
    prefix,
    url: testRedisUrl(db),
    async cleanup() {
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}

/**
 * Real Redis for tests: each test file uses its own db number and a unique key prefix, and deletes only
 * the keys it created (SCAN + DEL on its prefix) — never FLUSHDB, since other work shares this server.
 *
 * The server is `TEST_REDIS_URL` (default redis://127.0.0.1:6379, no db number): every test connects
 * through here, so pointing the suite at another server is one environment variable. With
 * `TEST_REDIS_CLUSTER_NODES` (host:port,… as for REDIS_CLUSTER_NODES; `npm run test:scale` sets it) the same
 * tests run against a Redis Cluster instead: db numbers are ignored (a cluster has only db 0), and hosts
 * started with `startHost` get REDIS_CLUSTER_NODES.
 *
 * @example
 *   const t = createTestRedis('tok');            // db 11, keys under t.prefix, Keys helper in t.keys
 *   …
 *   await t.cleanup();                          // deletes t.prefix:* and disconnects
 */
import { randomBytes } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';
import { connectRedis, Keys, parseNodeList, type RedisClient } from '../../services/redis';

export const TEST_REDIS_URL = (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/+$/, '');

/** The cluster the tests run against instead, when set (`npm run test:scale`). */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES?.trim() || undefined;

/** The bot's Redis variables for db `db` of the test server (REDIS_URL), or for the test cluster. */
export function testRedisEnv(db: number): { REDIS_URL: string } | { REDIS_URL: ''; REDIS_CLUSTER_NODES: string } {
  return TEST_REDIS_CLUSTER_NODES ? { REDIS_URL: '', REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES } : { REDIS_URL: testRedisUrl(db) };
}

/** The URL of database `db` on the test server. */
export function testRedisUrl(db: number): string {
  return `${TEST_REDIS_URL}/${db}`;
}

/** A key prefix no other test run uses (letters, digits and "-", so it is also a valid REDIS_KEY_PREFIX). */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

/** A connection to db `db` of the test server (one node, whatever TEST_REDIS_CLUSTER_NODES says). */
export function connectTestRedis(db: number): Redis {
  return new Redis(testRedisUrl(db), { maxRetriesPerRequest: 2 });
}

/** A connection to db `db` of the test server, or to the test cluster when TEST_REDIS_CLUSTER_NODES is set. */
export function connectTestClient(db: number): RedisClient {
  if (TEST_REDIS_CLUSTER_NODES) return connectRedis({ mode: 'cluster', nodes: parseNodeList(TEST_REDIS_CLUSTER_NODES) ?? [] }, { maxRetriesPerRequest: 2 });
  return connectTestRedis(db);
}

/** Deletes every key matching the glob `pattern` (SCAN + DEL; on a cluster, SCAN on every master and one DEL per key). */
export async function deleteKeysMatching(redis: RedisClient, pattern: string): Promise<void> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      if (redis instanceof Cluster) await Promise.all(keys.map((k) => redis.del(k)));
      else await redis.del(...keys);
    } while (cursor !== '0');
  }
}

/** Deletes every key under `prefix`, and BullMQ's keys of that prefix (`{prefix-queue}:…`, services/redis.ts Keys.bullPrefix). */
export async function deletePrefix(redis: RedisClient, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${prefix}:*`);
  await deleteKeysMatching(redis, `{${prefix}-*}:*`);
}

/** The db the service tests share (each with its own prefix). */
export const SERVICE_TEST_DB = 11;

export interface TestRedis {
  redis: RedisClient;
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
  const redis = connectTestClient(db);
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

/**
 * Counts the socket writes (`_write` and `_writev` calls) of one connection's current socket from now on: how many
 * writes its commands took (services/redis.ts `coalesceWrites`).
 */
export function countSocketWrites(redis: Redis): { readonly n: number } {
  const socket = (redis as unknown as { stream: { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown } }).stream;
  const counter = { n: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...a: unknown[]) => ((counter.n += 1), write(...a));
  socket._writev = (...a: unknown[]) => ((counter.n += 1), writev(...a));
  return counter;
}

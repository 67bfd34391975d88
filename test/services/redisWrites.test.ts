/**
 * The command connection sends the commands issued in one turn of the event loop in one socket write
 * (services/redis.ts `coalesceWrites`), and every command is still answered, alone or in a crowd, and after a
 * reconnect. Real Redis; a plain ioredis connection to the same server is the control.
 */
import type Redis from 'ioredis';
import { connectRedis, createRedis, type RedisClient } from '../../services/redis';
import { createLogger } from '../../services/logger';
import { TEST_REDIS_URL, countSocketWrites, deletePrefix, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const DB = 9;
const prefix = uniquePrefix('writes');
const url = `${TEST_REDIS_URL}/${DB}`;
let coalesced: Redis;
let plain: Redis;

/**
 * `n` SETs issued from `n` setImmediate callbacks queued together (one check phase of the event loop, n macrotasks:
 * timers could straddle two loop turns on a busy machine), read back.
 */
async function crowd(redis: RedisClient, n: number, tag: string): Promise<string[]> {
  const sets = await Promise.all(
    Array.from({ length: n }, (_, i) => new Promise<string | null>((resolve, reject) => setImmediate(() => redis.set(`${prefix}:${tag}:${i}`, `v${i}`).then(resolve, reject)))),
  );
  expect(sets).toEqual(Array(n).fill('OK'));
  return redis.mget(Array.from({ length: n }, (_, i) => `${prefix}:${tag}:${i}`)) as Promise<string[]>;
}

beforeAll(async () => {
  coalesced = createRedis({ url, logger: createLogger('silent') }).redis as Redis;
  plain = connectRedis({ mode: 'single', url }, { maxRetriesPerRequest: 2 }) as Redis;
  await Promise.all([coalesced.ping(), plain.ping()]);
});
afterAll(async () => {
  await deletePrefix(coalesced, prefix);
  await Promise.all([coalesced.quit(), plain.quit()]);
});

it('sends the commands of one event-loop turn in one socket write, and answers each', async () => {
  const control = countSocketWrites(plain);
  expect(await crowd(plain, 20, 'plain')).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  const writes = countSocketWrites(coalesced);
  expect(await crowd(coalesced, 20, 'coalesced')).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  // 20 SETs in one write, then the MGET in another; the plain connection writes each SET as it is issued.
  expect(writes.n).toBe(2);
  expect(control.n).toBeGreaterThan(10);
});

it('answers a command issued alone at once, and keeps working after the connection is dropped', async () => {
  expect(await coalesced.echo('alone')).toBe('alone');
  const streamOf = () => (coalesced as unknown as { stream: { destroy(): void } }).stream;
  const old = streamOf();
  old.destroy();
  await waitFor(async () => coalesced.status === 'ready' && streamOf() !== old, { timeoutMs: 5000, what: 'reconnected on a new socket' });
  const writes = countSocketWrites(coalesced); // the new socket
  expect(await crowd(coalesced, 5, 'after')).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  expect(writes.n).toBe(2); // still coalesced: the 5 SETs in one write, the MGET in another
});

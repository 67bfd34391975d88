import type { RedisClient } from '../../services/redis';
import { Keys } from '../../services/redis';
import { ETagConflictError, RedisStorage, storageKeyToRedisKey } from '../../services/state/redisStorage';
import { TurnLock } from '../../services/state/turnLock';
import { connectTestClient, deletePrefix, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

describe('RedisStorage (real Redis)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('storage');
  const keys = new Keys(prefix);
  let storage: RedisStorage;

  beforeAll(() => {
    redis = connectTestClient(10);
    storage = new RedisStorage(redis, keys, { ttlSeconds: 120 });
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('stores, reads back with an eTag, and gives every write a new eTag', async () => {
    await storage.write({ a: { n: 1 } });
    const first = await storage.read(['a', 'missing']);
    expect(first.a).toMatchObject({ n: 1 });
    expect(typeof first.a.eTag).toBe('string');
    expect(first.missing).toBeUndefined();
    await storage.write({ a: { ...first.a, n: 2 } });
    const second = await storage.read(['a']);
    expect(second.a.n).toBe(2);
    expect(second.a.eTag).not.toBe(first.a.eTag);
  });

  it('rejects a write with a stale eTag and keeps the newer document', async () => {
    await storage.write({ b: { v: 'one' } });
    const read1 = (await storage.read(['b'])).b;
    await storage.write({ b: { ...read1, v: 'two' } });
    await expect(storage.write({ b: { ...read1, v: 'stale' } })).rejects.toBeInstanceOf(ETagConflictError);
    expect((await storage.read(['b'])).b.v).toBe('two');
  });

  it('overwrites unconditionally with eTag "*" or none', async () => {
    await storage.write({ c: { v: 1 } });
    await storage.write({ c: { v: 2, eTag: '*' } });
    await storage.write({ c: { v: 3 } });
    expect((await storage.read(['c'])).c.v).toBe(3);
  });

  it('lets exactly one of two concurrent writers with the same eTag win', async () => {
    await storage.write({ d: { v: 0 } });
    const base = (await storage.read(['d'])).d;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => storage.write({ d: { ...base, v: i + 1 } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(7);
  });

  it('deletes, and sets the idle TTL on conversation keys with a cluster hash tag', async () => {
    const key = 'webchat/conversations/abc-123/';
    await storage.write({ [key]: { x: 1 } });
    const redisKey = storageKeyToRedisKey(keys, key);
    expect(redisKey).toBe(`${prefix}:{conv:webchat/abc-123}:state`);
    const ttl = await redis.ttl(redisKey);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    await storage.delete([key]);
    expect(await redis.exists(redisKey)).toBe(0);
    expect(storageKeyToRedisKey(keys, 'msteams/users/u1/')).toBe(`${prefix}:{user:msteams/u1}:state`);
  });

  /**
   * The Redis connection with its lock traffic counted: `refused` = SET NX attempts that found the lock
   * taken, `extended` = heartbeat renewals that kept it. Tests wait on these instead of on timers.
   */
  function countingRedis() {
    const counts = { refused: 0, extended: 0 };
    const proxy = new Proxy(redis, {
      get(target, prop) {
        if (prop === 'set')
          return async (...args: unknown[]) => {
            const r = await (target.set as (...a: unknown[]) => Promise<unknown>)(...args);
            if (r === null) counts.refused += 1;
            return r;
          };
        if (prop === 'eval')
          return async (...args: unknown[]) => {
            const r = await (target.eval as (...a: unknown[]) => Promise<unknown>)(...args);
            if (String(args[0]).includes('PEXPIRE') && Number(r) === 1) counts.extended += 1;
            return r;
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return { client: proxy, counts };
  }

  it('serialises work under one conversation lock and frees it afterwards', async () => {
    const { client, counts } = countingRedis();
    const lock = new TurnLock(client, keys, { lockMs: 5000, waitMs: 5000 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = (name: string) =>
      lock.withLock('conv-x', async () => {
        order.push(`${name}:start`);
        if (order.length === 1) await gate; // the first holder keeps the lock until the others have tried
        order.push(`${name}:end`);
      });
    const all = Promise.all([job('a'), job('b'), job('c')]);
    await waitFor(() => counts.refused >= 2, { what: 'both other turns to be refused the lock' });
    expect(order).toHaveLength(1); // nobody else got in while the lock was held
    release();
    await all;
    expect(order).toHaveLength(6);
    for (let i = 0; i < order.length; i += 2) expect(order[i].split(':')[0]).toBe(order[i + 1].split(':')[0]);
    expect(await redis.exists(keys.tagged('conv', 'conv-x', 'lock'))).toBe(0);
  });

  it('keeps the lock alive through work longer than its lifetime', async () => {
    const lockMs = 300;
    const { client, counts } = countingRedis();
    const lock = new TurnLock(client, keys, { lockMs, waitMs: 5000 });
    const order: string[] = [];
    const started = Date.now();
    const slow = lock.withLock('conv-slow', async () => {
      order.push('slow:start');
      // Outlive the lock's own lifetime, renewed by the heartbeat, while the next turn keeps being refused.
      await waitFor(() => Date.now() - started > lockMs * 1.5 && counts.extended >= 3 && counts.refused >= 2, {
        what: 'the lock to outlive lockMs through heartbeats while the next turn waits',
      });
      order.push('slow:end');
    });
    await waitFor(() => order.includes('slow:start'), { what: 'the slow turn to hold the lock' });
    const next = lock.withLock('conv-slow', async () => {
      order.push('next');
    });
    await Promise.all([slow, next]);
    expect(order).toEqual(['slow:start', 'slow:end', 'next']);
  });
});

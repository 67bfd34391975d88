/**
 * The turn's state and lock in two round trips (services/state/turnState.ts, redisStorage.ts): lock + read in
 * one script, write (or TTL refresh) + release in another, the release only by the lock's owner; change
 * detection by comparing JSON (an unchanged state is not rewritten). Real Redis (the test cluster under npm run test:scale).
 */
import { TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { Cluster } from 'ioredis';
import { Keys, type RedisClient } from '../../services/redis';
import { RedisStorage, storageKeyToRedisKey } from '../../services/state/redisStorage';
import { TurnLock, TurnLockTimeoutError } from '../../services/state/turnLock';
import { TurnConversationState } from '../../services/state/turnState';
import { connectTestClient, deletePrefix, uniquePrefix } from '../helpers/redis';

describe('turn state in two round trips (real Redis)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('turnstate');
  const keys = new Keys(prefix);
  let storage: RedisStorage;

  beforeAll(() => {
    redis = connectTestClient(10); // the test cluster under npm run test:scale
    storage = new RedisStorage(redis, keys, { ttlSeconds: 120 });
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const context = (conversation: string) =>
    new TurnContext(new TestAdapter(), { type: 'message', channelId: 'test', conversation: { id: conversation }, from: { id: 'u' }, recipient: { id: 'b' } } as Partial<Activity>);

  it('takes the lock and reads in one script; a second owner is refused; write + release frees it', async () => {
    const key = 'test/conversations/c-script/';
    const lockKey = keys.tagged('conv', 'test/c-script', 'lock');
    const a = { key: lockKey, owner: 'owner-a' };
    expect(await storage.lockAndRead(key, a, 5000)).toEqual({ locked: true, item: null, also: [] });
    expect(await storage.lockAndRead(key, { key: lockKey, owner: 'owner-b' }, 5000)).toEqual({ locked: false });
    await storage.writeDoc(key, '*', JSON.stringify({ n: 1 }), a);
    expect(await redis.exists(lockKey)).toBe(0);
    const again = await storage.lockAndRead(key, { key: lockKey, owner: 'owner-c' }, 5000);
    expect(again).toMatchObject({ locked: true, item: { doc: '{"n":1}' } });
    // A stale owner's write still follows the eTag rules but never frees a lock it does not hold.
    await storage.writeDoc(key, '*', JSON.stringify({ n: 2 }), a);
    expect(await redis.get(lockKey)).toBe('owner-c');
    await storage.touchAndRelease(key, a);
    expect(await redis.get(lockKey)).toBe('owner-c');
    await storage.touchAndRelease(key, { key: lockKey, owner: 'owner-c' });
    expect(await redis.exists(lockKey)).toBe(0);
    expect(await redis.pttl(lockKey)).toBe(-2);
  });

  it('keeps the eTag compare-and-set on the combined write, and a conflict leaves the lock held', async () => {
    const key = 'test/conversations/c-cas/';
    const lockKey = keys.tagged('conv', 'test/c-cas', 'lock');
    await storage.write({ [key]: { v: 1 } });
    const read = (await storage.readRaw(key))!;
    await storage.write({ [key]: { v: 2 } });
    const lease = { key: lockKey, owner: 'o1' };
    expect((await storage.lockAndRead(key, lease, 5000)).locked).toBe(true);
    await expect(storage.writeDoc(key, read.etag, '{"v":3}', lease)).rejects.toThrow(/eTag conflict/);
    expect(await redis.get(lockKey)).toBe('o1');
    expect((await storage.readRaw(key))!.doc).toBe('{"v":2}');
    await storage.touchAndRelease(key, lease);
  });

  it('withTurn: loads with the lock, saves and releases on commit, skips the write when nothing changed', async () => {
    const lock = new TurnLock(redis, keys, { lockMs: 5000, waitMs: 2000 });
    const state = new TurnConversationState(storage, lock);
    const prop = state.createProperty<{ count: number }>('counter');
    const redisKey = storageKeyToRedisKey(keys, 'test/conversations/c-turn/');
    const lockKey = lock.keyOf('test/c-turn');

    await state.withTurn(context('c-turn'), async (commit) => {
      expect(await redis.get(lockKey)).not.toBeNull();
      await commit();
      expect(await redis.exists(lockKey)).toBe(0);
    });
    expect(await redis.exists(redisKey)).toBe(0); // an untouched new conversation is not written

    const c1 = context('c-turn');
    await state.withTurn(c1, async (commit) => {
      (await prop.get(c1, { count: 0 }))!.count += 1;
      await commit();
    });
    expect(JSON.parse((await redis.hget(redisKey, 'doc'))!)).toEqual({ counter: { count: 1 } });
    const etag = await redis.hget(redisKey, 'etag');

    // Unchanged: no write (same eTag), but the idle TTL is refreshed and the lock released.
    await redis.expire(redisKey, 30);
    const c2 = context('c-turn');
    await state.withTurn(c2, async (commit) => {
      expect((await prop.get(c2))!.count).toBe(1);
      await commit();
    });
    expect(await redis.hget(redisKey, 'etag')).toBe(etag);
    expect(await redis.ttl(redisKey)).toBeGreaterThan(100);
    expect(await redis.exists(lockKey)).toBe(0);

    // Changed in place (a nested value): written.
    const c3 = context('c-turn');
    await state.withTurn(c3, async (commit) => {
      (await prop.get(c3))!.count = 5;
      await commit();
    });
    expect(JSON.parse((await redis.hget(redisKey, 'doc'))!)).toEqual({ counter: { count: 5 } });
    expect(await redis.hget(redisKey, 'etag')).not.toBe(etag);
  });

  it("withTurn reads the conversation's other keys (alsoRead) in the lock's script; on a cluster only those on its slot", async () => {
    const lock = new TurnLock(redis, keys, { lockMs: 5000, waitMs: 2000 });
    const sameSlot = (id: string) => keys.tagged('conv', id, 'handoff');
    const otherSlot = (id: string) => keys.tagged('handoff', 'q', 'conv', id.replace('/', '-'));
    const state = new TurnConversationState(storage, lock, { alsoRead: (id) => [sameSlot(id), otherSlot(id), keys.tagged('conv', id, 'missing')] });
    await redis.set(sameSlot('test/c-also'), 'H-SAME0001');
    await redis.set(otherSlot('test/c-also'), 'H-OTHER001');
    const c = context('c-also');
    await state.withTurn(c, async (commit) => {
      // One node reads any key in the script; a cluster only the keys of the conversation's slot (the rest: undefined, read apart).
      expect(state.readWithLock(c)).toEqual(['H-SAME0001', redis instanceof Cluster ? undefined : 'H-OTHER001', null]);
      await commit();
    });
    // Outside withTurn nothing was read with a lock.
    expect(state.readWithLock(context('c-also'))).toEqual([]);
  });

  it('withTurn serialises turns of one conversation and releases the lock when the work throws', async () => {
    const lock = new TurnLock(redis, keys, { lockMs: 5000, waitMs: 300 });
    const state = new TurnConversationState(storage, lock);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = state.withTurn(context('c-busy'), async () => gate);
    await expect(state.withTurn(context('c-busy'), async () => undefined)).rejects.toBeInstanceOf(TurnLockTimeoutError);
    release();
    await first;
    await expect(state.withTurn(context('c-busy'), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await redis.exists(lock.keyOf('test/c-busy'))).toBe(0);
  });

  it('a stored state that does not parse fails inside the turn (where the host resets it), not while taking the lock', async () => {
    const lock = new TurnLock(redis, keys, { lockMs: 5000, waitMs: 300 });
    const state = new TurnConversationState(storage, lock);
    const redisKey = storageKeyToRedisKey(keys, 'test/conversations/c-bad/');
    await redis.hset(redisKey, 'etag', 'e1', 'doc', '{not json');
    const c = context('c-bad');
    let failedInside = false;
    await state.withTurn(c, async () => {
      await state.createProperty('x').get(c).catch((err: Error) => {
        failedInside = err instanceof SyntaxError;
      });
      await state.delete(c); // what PortalBot does with a failed turn, still under the lock
    });
    expect(failedInside).toBe(true);
    expect(await redis.exists(redisKey)).toBe(0);
    expect(await redis.exists(lock.keyOf('test/c-bad'))).toBe(0);
  });

  it('saveChanges and load outside a turn behave like ConversationState (one round trip each)', async () => {
    const lock = new TurnLock(redis, keys, { lockMs: 5000, waitMs: 300 });
    const state = new TurnConversationState(storage, lock);
    const c1 = context('c-plain');
    await state.createProperty<string>('x').set(c1, 'one');
    await state.saveChanges(c1);
    const c2 = context('c-plain');
    expect(await state.createProperty<string>('x').get(c2)).toBe('one');
    await state.clear(c2);
    await state.saveChanges(c2);
    expect(await redis.hget(storageKeyToRedisKey(keys, 'test/conversations/c-plain/'), 'doc')).toBe('{}');
    await state.delete(c2);
    expect(await state.createProperty<string>('x').get(context('c-plain'))).toBeUndefined();
  });
});

import { createLimits, RedisSecurityQuestionLock } from '../../services/limits';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { forgetLimit, limitCounterKey } from '../helpers/limits';
import { waitFor } from '../helpers/wait';
import { accountKeyId } from '../../services/directory/redis-directory';

const LOCK_SECRET = 'l'.repeat(40);

describe('limits', () => {
  let t: TestRedis;

  beforeAll(() => {
    t = createTestRedis('lim');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const config = { conversationPerMinute: 3, ipPerMinute: 5, accountPerHour: 4, resetEmailsPerAccountPerHour: 3 };

  test('consume allows up to the limit, then says no without throwing', async () => {
    const limits = createLimits(t.redis, t.keys, config);
    const results: boolean[] = [];
    for (let i = 0; i < 5; i += 1) results.push(await limits.consume('resetEmailsPerAccount', 'maria@example.com'));
    expect(results).toEqual([true, true, true, false, false]);
    // Other keys and other limits are separate.
    expect(await limits.consume('resetEmailsPerAccount', 'someone-else')).toBe(true);
    expect(await limits.consume('perAccount', 'maria@example.com')).toBe(true);
  });

  test('limits are shared across instances (same Redis) and keys are hashed', async () => {
    const a = createLimits(t.redis, t.keys, config);
    const b = createLimits(t.redis, t.keys, config);
    expect(await a.consume('perConversation', 'conv-9')).toBe(true);
    expect(await b.consume('perConversation', 'conv-9')).toBe(true);
    expect(await a.consume('perConversation', 'conv-9')).toBe(true);
    expect(await b.consume('perConversation', 'conv-9')).toBe(false);
    const keys = await t.redis.keys(`${t.prefix}:rl:perConversation*`);
    expect(keys).toHaveLength(1); // one counter for conv-9, shared by both instances
    expect(keys.join('\n')).not.toMatch(/maria|conv-9/);
    const ttl = await t.redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(50); // the per-minute window
    expect(ttl).toBeLessThanOrEqual(60);
  });

  test('rules come from config', async () => {
    const limits = createLimits(t.redis, t.keys, config, { practiceTokenPerConversationPerHour: 2 });
    expect(limits.rules.perIp).toEqual({ points: 5, durationSeconds: 60 });
    expect(limits.rules.perAccount).toEqual({ points: 4, durationSeconds: 3600 });
    expect(await limits.consume('practiceTokenPerConversation', 'c1')).toBe(true);
    expect(await limits.consume('practiceTokenPerConversation', 'c1')).toBe(true);
    expect(await limits.consume('practiceTokenPerConversation', 'c1')).toBe(false);
    // The test helper other tests use to start from a fresh count finds the counter.
    expect(await t.redis.exists(limitCounterKey(t.keys, 'practiceTokenPerConversation', 'c1'))).toBe(1);
    await forgetLimit(t.redis, t.keys, 'practiceTokenPerConversation', 'c1');
    expect(await limits.consume('practiceTokenPerConversation', 'c1')).toBe(true);
  });

  test('a Redis failure is an error, not a silent "allowed"', async () => {
    const broken = { ...t.redis, defineCommand: undefined, rlflxIncr: () => Promise.reject(new Error('connection lost')) };
    const limits = createLimits(broken as never, t.keys, config);
    await expect(limits.consume('perIp', '10.0.0.1')).rejects.toThrow('connection lost');
  });
});

describe('RedisSecurityQuestionLock', () => {
  let t: TestRedis;
  let lock: RedisSecurityQuestionLock;

  beforeAll(() => {
    t = createTestRedis('sqlock');
    lock = new RedisSecurityQuestionLock({ redis: t.redis, keys: t.keys, serverSecret: LOCK_SECRET });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('three wrong answers to one question lock the path for 24 hours', async () => {
    expect(await lock.isLocked('MGonzalez78')).toBe(false);
    expect(await lock.recordFailure('mgonzalez78', 0)).toEqual({ triesLeft: 2, locked: false });
    expect(await lock.recordFailure('MGONZALEZ78', 0)).toEqual({ triesLeft: 1, locked: false });
    expect(await lock.recordFailure('mgonzalez78', 0)).toEqual({ triesLeft: 0, locked: true });
    expect(await lock.isLocked('mgonzalez78')).toBe(true);
    const ttl = await t.redis.ttl(t.keys.tagged('acct', accountKeyId(LOCK_SECRET, 'mgonzalez78'), 'sq', 'lock'));
    expect(ttl).toBeGreaterThan(24 * 3600 - 10);
    expect(await lock.recordFailure('mgonzalez78', 1)).toEqual({ triesLeft: 0, locked: true });
    await lock.unlock('mgonzalez78');
    expect(await lock.isLocked('mgonzalez78')).toBe(false);
    expect(await lock.recordFailure('mgonzalez78', 0)).toEqual({ triesLeft: 2, locked: false });
  });

  test('each question has its own three tries; reset clears one question', async () => {
    await lock.recordFailure('jamesoc65', 0);
    await lock.recordFailure('jamesoc65', 0);
    expect(await lock.recordFailure('jamesoc65', 1)).toEqual({ triesLeft: 2, locked: false });
    await lock.reset('jamesoc65', 0);
    expect(await lock.recordFailure('jamesoc65', 0)).toEqual({ triesLeft: 2, locked: false });
    expect(await lock.isLocked('jamesoc65')).toBe(false);
  });

  test('unknown usernames behave the same (no existence oracle)', async () => {
    for (let i = 0; i < 2; i += 1) await lock.recordFailure('not-an-account', 1);
    expect(await lock.recordFailure('not-an-account', 1)).toEqual({ triesLeft: 0, locked: true });
    expect(await lock.isLocked('Not-An-Account')).toBe(true);
  });

  test('a custom lock lifetime is set on the lock key, and the lock lifts when Redis drops the key', async () => {
    const quick = new RedisSecurityQuestionLock({ redis: t.redis, keys: t.keys, serverSecret: LOCK_SECRET, maxTries: 1, lockSeconds: 1 });
    expect(await quick.recordFailure('quick-user', 0)).toEqual({ triesLeft: 0, locked: true });
    const lockKey = t.keys.tagged('acct', accountKeyId(LOCK_SECRET, 'quick-user'), 'sq', 'lock');
    const pttl = await t.redis.pttl(lockKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_000);
    // Rather than sleeping out the second: shorten the key's life and wait until Redis has expired it.
    await t.redis.pexpire(lockKey, 5);
    await waitFor(async () => (await t.redis.exists(lockKey)) === 0, { timeoutMs: 2_000, what: 'Redis to expire the lock key' });
    expect(await quick.isLocked('quick-user')).toBe(false);
  });
});

import { sha256 } from '../../services/crypto';
import { normaliseTypedToken, RedisTokenService, tokenDigest, TYPABLE_ALPHABET } from '../../services/tokens';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { accountKeyId } from '../../services/directory/redis-directory';

const SECRET = 'tokens-test-secret-0123456789-abcdef';

describe('RedisTokenService', () => {
  let t: TestRedis;
  let tokens: RedisTokenService;
  let clock = Date.now();
  let timed: RedisTokenService;

  beforeAll(() => {
    t = createTestRedis('tok');
    tokens = new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: SECRET });
    timed = new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: SECRET, now: () => clock });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function allStoredText(): Promise<string> {
    const parts: string[] = [];
    for (const key of await t.redis.keys(`${t.prefix}:*`)) {
      parts.push(key);
      const type = await t.redis.type(key);
      if (type === 'hash') parts.push(...Object.values(await t.redis.hgetall(key)));
      if (type === 'string') parts.push((await t.redis.get(key)) ?? '');
    }
    return parts.join('\n');
  }

  describe('reset links', () => {
    test('a link is a 256-bit base64url token stored only as its keyed hash (HMAC-SHA-256 with the server secret)', async () => {
      const { token } = await tokens.issueResetLink('Alice01', { ttlSeconds: 1800, via: 'email' });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stored = await allStoredText();
      expect(stored).not.toContain(token);
      expect(stored).toContain(tokenDigest(SECRET, token));
      expect(stored).not.toContain(sha256(token));
      expect(await t.redis.ttl(t.keys.tagged('acct', accountKeyId(SECRET, 'alice01'), 'reset'))).toBeGreaterThan(1700);
    });

    test('inspect does not consume; consume works once', async () => {
      const { token } = await tokens.issueResetLink('bob-the-user', { ttlSeconds: 600, via: 'questions' });
      const valid = { state: 'valid', username: 'bob-the-user', via: 'questions' };
      expect(await tokens.inspectResetLink(token)).toEqual(valid);
      expect(await tokens.inspectResetLink(token)).toEqual(valid);
      expect(await tokens.consumeResetLink(token)).toEqual({ username: 'bob-the-user' });
      expect(await tokens.consumeResetLink(token)).toBeNull();
      expect(await tokens.inspectResetLink(token)).toEqual({ ...valid, state: 'used' });
    });

    test('a double submit consumes once', async () => {
      const { token } = await tokens.issueResetLink('carol-user', { ttlSeconds: 600, via: 'email' });
      const results = await Promise.all(Array.from({ length: 8 }, () => tokens.consumeResetLink(token)));
      expect(results.filter(Boolean)).toEqual([{ username: 'carol-user' }]);
    });

    test('a newer link revokes older ones', async () => {
      const first = await tokens.issueResetLink('Dave-User', { ttlSeconds: 1800, via: 'email' });
      const second = await tokens.issueResetLink('dave-user', { ttlSeconds: 1800, via: 'email' });
      expect((await tokens.inspectResetLink(first.token)).state).toBe('revoked');
      expect(await tokens.consumeResetLink(first.token)).toBeNull();
      expect(await tokens.consumeResetLink(second.token)).toEqual({ username: 'dave-user' });
    });

    test('of links issued at the same moment, exactly one stays valid', async () => {
      const issued = await Promise.all(Array.from({ length: 6 }, () => tokens.issueResetLink('race-user', { ttlSeconds: 600, via: 'email' })));
      const states = await Promise.all(issued.map(async ({ token }) => (await tokens.inspectResetLink(token)).state));
      expect(states.filter((s) => s === 'valid')).toHaveLength(1);
      expect(states.filter((s) => s === 'revoked')).toHaveLength(5);
    });

    test('revokeResetLinks revokes the live link', async () => {
      const { token } = await tokens.issueResetLink('erin-user', { ttlSeconds: 600, via: 'practice-token' });
      await tokens.revokeResetLinks('ERIN-USER');
      expect((await tokens.inspectResetLink(token)).state).toBe('revoked');
      expect(await tokens.consumeResetLink(token)).toBeNull();
      await expect(tokens.revokeResetLinks('no-links-here')).resolves.toBeUndefined();
    });

    test('links expire (clock)', async () => {
      clock = Date.now();
      const { token } = await timed.issueResetLink('frank-user', { ttlSeconds: 600, via: 'email' });
      clock += 599_000;
      expect(await timed.inspectResetLink(token)).toEqual({ state: 'valid', username: 'frank-user', via: 'email' });
      clock += 2_000;
      expect(await timed.inspectResetLink(token)).toEqual({ state: 'expired', username: 'frank-user', via: 'email' });
      expect(await timed.consumeResetLink(token)).toBeNull();
    });

    test("Redis drops a link's keys on their own: the pointer when the link expires, the record a day later", async () => {
      // Checked on the TTLs Redis holds (no sleeping until they lapse): the clock tests above cover the logic.
      clock = Date.now();
      const { token } = await timed.issueResetLink('gina-user', { ttlSeconds: 1, via: 'email' });
      const pointerTtl = await t.redis.pttl(t.keys.tagged('acct', accountKeyId(SECRET, 'gina-user'), 'reset'));
      expect(pointerTtl).toBeGreaterThan(0);
      expect(pointerTtl).toBeLessThanOrEqual(1_000);
      const recordTtl = await t.redis.ttl(t.keys.tagged('tok', tokenDigest(SECRET, token)));
      expect(recordTtl).toBeGreaterThan(24 * 3600 - 10);
      expect(recordTtl).toBeLessThanOrEqual(24 * 3600 + 1);
      // Once the pointer has lapsed (as Redis does after 1 s), the link is expired, not merely revoked.
      clock += 1_000;
      await t.redis.del(t.keys.tagged('acct', accountKeyId(SECRET, 'gina-user'), 'reset'));
      expect(await timed.inspectResetLink(token)).toEqual({ state: 'expired', username: 'gina-user', via: 'email' });
      expect(await timed.consumeResetLink(token)).toBeNull();
    });

    test('unknown, empty and absurd tokens are simply invalid', async () => {
      expect(await tokens.consumeResetLink('nope')).toBeNull();
      expect(await tokens.consumeResetLink('')).toBeNull();
      expect(await tokens.consumeResetLink('x'.repeat(5000))).toBeNull();
      expect(await tokens.inspectResetLink('nope')).toEqual({ state: 'unknown' });
      await expect(tokens.issueResetLink('hank-user', { ttlSeconds: 0, via: 'email' })).rejects.toThrow(RangeError);
    });
  });

  describe('practice reset tokens', () => {
    test('10 typable characters, stored hashed, valid 7 days', async () => {
      const token = await tokens.issuePracticeResetToken('Ivy-User');
      expect(token).toHaveLength(10);
      expect([...token].every((c) => TYPABLE_ALPHABET.includes(c))).toBe(true);
      expect(await allStoredText()).not.toContain(token);
      const ttl = await t.redis.ttl(t.keys.tagged('acct', accountKeyId(SECRET, 'ivy-user'), 'ptoken'));
      expect(ttl).toBeGreaterThan(7 * 24 * 3600 - 10);
      expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
    });

    test('redeem is single use, bound to the username, and forgiving about case and dashes', async () => {
      const token = await tokens.issuePracticeResetToken('jack-user');
      expect(await tokens.redeemPracticeResetToken('other-user', token)).toBe(false);
      expect(await tokens.redeemPracticeResetToken('jack-user', 'WRONGTOKEN')).toBe(false);
      const typed = `${token.slice(0, 5).toLowerCase()}-${token.slice(5)}`;
      expect(normaliseTypedToken(typed)).toBe(token);
      expect(await tokens.redeemPracticeResetToken('JACK-USER', typed)).toBe(true);
      expect(await tokens.redeemPracticeResetToken('jack-user', token)).toBe(false);
    });

    test('a wrong guess does not burn the real token', async () => {
      const token = await tokens.issuePracticeResetToken('kate-user');
      expect(await tokens.redeemPracticeResetToken('kate-user', '2222222222')).toBe(false);
      expect(await tokens.redeemPracticeResetToken('kate-user', token)).toBe(true);
    });

    test('a newer token revokes the older one; concurrent redeems succeed once', async () => {
      const older = await tokens.issuePracticeResetToken('liam-user');
      const newer = await tokens.issuePracticeResetToken('liam-user');
      expect(await tokens.redeemPracticeResetToken('liam-user', older)).toBe(false);
      const results = await Promise.all(Array.from({ length: 6 }, () => tokens.redeemPracticeResetToken('liam-user', newer)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('expired tokens fail', async () => {
      clock = Date.now();
      const token = await timed.issuePracticeResetToken('mia-user', { ttlSeconds: 60 });
      clock += 61_000;
      expect(await timed.redeemPracticeResetToken('mia-user', token)).toBe(false);
    });
  });

  describe('enrollment tokens', () => {
    test('issue, check, and a newer token revokes the older one', async () => {
      const first = await tokens.issueEnrollmentToken('P-1001');
      expect(first).toHaveLength(12);
      expect(await tokens.checkEnrollmentToken(first)).toEqual({ patientId: 'P-1001' });
      expect(await tokens.checkEnrollmentToken(first.toLowerCase())).toEqual({ patientId: 'P-1001' });
      const second = await tokens.issueEnrollmentToken('P-1001');
      expect(await tokens.checkEnrollmentToken(first)).toBeNull();
      expect(await tokens.checkEnrollmentToken(second)).toEqual({ patientId: 'P-1001' });
      expect(await allStoredText()).not.toContain(second);
    });

    test("tokens of different patients do not affect each other; a reset link is not an enrollment token", async () => {
      const a = await tokens.issueEnrollmentToken('P-2001');
      const b = await tokens.issueEnrollmentToken('P-2002');
      expect(await tokens.checkEnrollmentToken(a)).toEqual({ patientId: 'P-2001' });
      expect(await tokens.checkEnrollmentToken(b)).toEqual({ patientId: 'P-2002' });
      const { token } = await tokens.issueResetLink('P-2001', { ttlSeconds: 60, via: 'email' });
      expect(await tokens.checkEnrollmentToken(token)).toBeNull();
      expect(await tokens.consumeResetLink(a)).toBeNull();
      expect(await tokens.checkEnrollmentToken('')).toBeNull();
    });

    test('enrollment tokens expire', async () => {
      clock = Date.now();
      const token = await timed.issueEnrollmentToken('P-3001', { ttlSeconds: 100 });
      expect(await timed.checkEnrollmentToken(token)).toEqual({ patientId: 'P-3001' });
      clock += 101_000;
      expect(await timed.checkEnrollmentToken(token)).toBeNull();
    });
  });
});

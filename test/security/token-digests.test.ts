/**
 * Issue 8: every token (reset links, practice reset tokens, enrollment tokens) is stored as
 * HMAC-SHA-256(SERVER_SECRET, token) — never as the token or its plain sha256 — so a copy of Redis does not
 * let anyone brute-force a ~49-bit practice token; and a service with another secret cannot redeem it.
 */
import { sha256 } from '../../services/crypto';
import { accountKeyId } from '../../services/directory/redis-directory';
import { RedisTokenService, tokenDigest } from '../../services/tokens';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const SECRET = 'token-digest-test-secret-0123456789-abc';
const OTHER = 'another-secret-entirely-0123456789-xyz';

let t: TestRedis;
let tokens: RedisTokenService;
let stranger: RedisTokenService;

beforeAll(() => {
  t = createTestRedis('sec-tokens');
  tokens = new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: SECRET });
  stranger = new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: OTHER });
});
afterAll(() => t.cleanup());

/** Every key name and every stored string value under the prefix. */
async function everythingStored(): Promise<string> {
  const keys = await t.redis.keys(`${t.prefix}:*`);
  const parts = [...keys];
  for (const k of keys) {
    const type = await t.redis.type(k);
    if (type === 'hash') parts.push(...Object.values(await t.redis.hgetall(k)));
    if (type === 'string') parts.push((await t.redis.get(k)) ?? '');
  }
  return parts.join('\n');
}

test('a practice reset token is stored as its HMAC, not its sha256, and another secret cannot redeem it', async () => {
  const token = await tokens.issuePracticeResetToken('Keyed-User');
  const stored = await t.redis.hget(t.keys.tagged('acct', accountKeyId(SECRET, 'keyed-user'), 'ptoken'), 'h');
  expect(stored).toBe(tokenDigest(SECRET, token));
  expect(stored).not.toBe(sha256(token));
  const everything = await everythingStored();
  expect(everything).not.toContain(token);
  expect(everything).not.toContain(sha256(token));
  expect(await stranger.redeemPracticeResetToken('keyed-user', token)).toBe(false);
  expect(await tokens.redeemPracticeResetToken('keyed-user', token)).toBe(true);
});

test('a reset link is stored under its HMAC; another secret sees it as unknown and cannot consume it', async () => {
  const { token } = await tokens.issueResetLink('link-user', { ttlSeconds: 600, via: 'email' });
  expect(await t.redis.exists(t.keys.tagged('tok', tokenDigest(SECRET, token)))).toBe(1);
  expect(await t.redis.exists(t.keys.tagged('tok', sha256(token)))).toBe(0);
  const everything = await everythingStored();
  expect(everything).not.toContain(token);
  expect(everything).not.toContain(sha256(token));
  expect(await stranger.inspectResetLink(token)).toEqual({ state: 'unknown' });
  expect(await stranger.consumeResetLink(token)).toBeNull();
  expect(await tokens.consumeResetLink(token)).toEqual({ username: 'link-user' });
});

test('an enrollment token is stored under its HMAC; another secret cannot check it', async () => {
  const token = await tokens.issueEnrollmentToken('P-8001');
  const pointer = await t.redis.get(t.keys.tagged('pat', 'P-8001', 'enroll'));
  expect(pointer).toBe(tokenDigest(SECRET, token));
  expect(pointer).not.toBe(sha256(token));
  expect(await everythingStored()).not.toContain(sha256(token));
  expect(await stranger.checkEnrollmentToken(token)).toBeNull();
  expect(await tokens.checkEnrollmentToken(token)).toEqual({ patientId: 'P-8001' });
});

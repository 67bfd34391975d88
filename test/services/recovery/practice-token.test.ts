/**
 * redeemPracticeToken against real Redis: a practice-issued token plus the username → a one-time link in
 * chat; the token works once; anything wrong is one uniform 'failed'; attempts are limited per
 * conversation (5 an hour) and per account (RATE_LIMIT_ACCOUNT_PER_HOUR), and a limited attempt is not
 * even checked (the token survives it).
 */
import { accountLimitKey, CHAT_LINK_MINUTES, createRecovery, PRACTICE_TOKEN_DAYS } from '../../../services/recovery';
import { PRACTICE_TOKEN_TTL_SECONDS, RedisTokenService } from '../../../services/tokens';
import { forgetLimit } from '../../helpers/limits';
import { demoPatient, startRecoveryServices, TEST_PUBLIC_BASE_URL, tokenFromResetUrl, type RecoveryFixture } from '../../helpers/recovery';
import { accountKeyId } from '../../../services/directory/redis-directory';

const DB = 6;
const ACCOUNT_PER_HOUR = 4;
const TOKEN_TRIES_PER_CONVERSATION = 5; // services/limits: practiceTokenPerConversation

const maria = demoPatient('P-1001');
const james = demoPatient('P-1002');
const aisha = demoPatient('P-1003');
const robert = demoPatient('P-1004'); // unenrolled
const sofia = demoPatient('P-1006');

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('rec-ptoken', DB, { RATE_LIMIT_ACCOUNT_PER_HOUR: String(ACCOUNT_PER_HOUR) });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

async function freshAccount(username: string): Promise<string> {
  await forgetLimit(f.redis, f.keys, 'perAccount', accountLimitKey(f.config.serverSecret, username));
  return f.services.tokens.issuePracticeResetToken(username);
}

describe('redeemPracticeToken', () => {
  it('a valid token → a one-time chat link; the token works only once', async () => {
    const token = await freshAccount(maria.account.username);
    const caller = f.caller();
    // Typed the way people type it: lower case, a dash in the middle, another spelling of the username.
    const typed = `${token.slice(0, 5).toLowerCase()}-${token.slice(5).toLowerCase()}`;
    const outcome = await f.recovery.redeemPracticeToken({ username: maria.account.username.toUpperCase(), token: typed }, caller);
    if (outcome.kind !== 'link') throw new Error(`expected a link, got ${outcome.kind}`);
    expect(outcome.minutes).toBe(CHAT_LINK_MINUTES);
    expect(outcome.url.startsWith(`${TEST_PUBLIC_BASE_URL}/reset?token=`)).toBe(true);
    const link = tokenFromResetUrl(outcome.url);
    expect(await f.recovery.checkResetLink(link)).toEqual({ ok: true });
    expect(await f.services.tokens.inspectResetLink(link)).toEqual({ state: 'valid', username: maria.account.username, via: 'practice-token' });

    expect(await f.recovery.redeemPracticeToken({ username: maria.account.username, token }, caller)).toEqual({ kind: 'failed' });

    const accountRef = f.services.audit.accountRef(maria.account.username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['practice-token-used', accountRef, undefined],
      ['reset-link-issued', accountRef, { via: 'practice-token' }],
      ['practice-token-failed', accountRef, undefined],
    ]);
  });

  it.each([
    ['a wrong token', (t: string) => ({ username: aisha.account.username, token: t.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })],
    ["another account's username", (t: string) => ({ username: james.account.username, token: t })],
    ['an unknown username', (t: string) => ({ username: 'no-such-user-9', token: t })],
    ['an empty token', () => ({ username: aisha.account.username, token: '' })],
  ])("%s → 'failed', audited, and the real token still works", async (_what, input) => {
    const token = await freshAccount(aisha.account.username);
    await forgetLimit(f.redis, f.keys, 'perAccount', accountLimitKey(f.config.serverSecret, james.account.username));
    const caller = f.caller();
    const attempt = input(token);
    expect(await f.recovery.redeemPracticeToken(attempt, caller)).toEqual({ kind: 'failed' });
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef])).toEqual([['practice-token-failed', f.services.audit.accountRef(attempt.username)]]);
    expect((await f.recovery.redeemPracticeToken({ username: aisha.account.username, token }, f.caller())).kind).toBe('link');
  });

  it(`a token past its ${PRACTICE_TOKEN_DAYS} days → 'failed' (injected clock, no sleep)`, async () => {
    await freshAccount(sofia.account.username);
    let now = Date.now();
    const tokens = new RedisTokenService({ redis: f.redis, keys: f.keys, serverSecret: f.config.serverSecret, now: () => now });
    const recovery = createRecovery(f.deps({ tokens }));
    const token = await tokens.issuePracticeResetToken(sofia.account.username);
    now += PRACTICE_TOKEN_TTL_SECONDS * 1000 + 1;
    expect(await recovery.redeemPracticeToken({ username: sofia.account.username, token }, f.caller())).toEqual({ kind: 'failed' });
    // Redeeming an expired token removes it: it does not come back to life with a kinder clock.
    now -= 2_000;
    expect(await recovery.redeemPracticeToken({ username: sofia.account.username, token }, f.caller())).toEqual({ kind: 'failed' });
  });

  it('a token just inside its lifetime still works', async () => {
    await freshAccount(sofia.account.username);
    let now = Date.now();
    const tokens = new RedisTokenService({ redis: f.redis, keys: f.keys, serverSecret: f.config.serverSecret, now: () => now });
    const recovery = createRecovery(f.deps({ tokens }));
    const token = await tokens.issuePracticeResetToken(sofia.account.username);
    now += PRACTICE_TOKEN_TTL_SECONDS * 1000 - 1_000;
    expect((await recovery.redeemPracticeToken({ username: sofia.account.username, token }, f.caller())).kind).toBe('link');
  });

  it('a newer token replaces the older one', async () => {
    const older = await freshAccount(sofia.account.username);
    const newer = await f.services.tokens.issuePracticeResetToken(sofia.account.username);
    expect(await f.recovery.redeemPracticeToken({ username: sofia.account.username, token: older }, f.caller())).toEqual({ kind: 'failed' });
    expect((await f.recovery.redeemPracticeToken({ username: sofia.account.username, token: newer }, f.caller())).kind).toBe('link');
  });

  it("a right token for an account that is not active → 'not-active', no link", async () => {
    const token = await freshAccount(robert.account.username);
    const caller = f.caller();
    expect(await f.recovery.redeemPracticeToken({ username: robert.account.username, token }, caller)).toEqual({ kind: 'not-active' });
    expect(await f.redis.exists(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, robert.account.username), 'reset'))).toBe(0);
    const accountRef = f.services.audit.accountRef(robert.account.username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['practice-token-used', accountRef, undefined],
      ['reset-requested', accountRef, { via: 'practice-token', outcome: 'not-active' }],
    ]);
  });
});

describe('redeemPracticeToken limits', () => {
  it(`${TOKEN_TRIES_PER_CONVERSATION} attempts per conversation an hour; then even the right token fails unchecked`, async () => {
    const token = await freshAccount(james.account.username);
    const caller = f.caller();
    // Wrong attempts spread over usernames, so the per-account limit is not what stops them.
    for (let i = 0; i < TOKEN_TRIES_PER_CONVERSATION; i += 1) {
      expect(await f.recovery.redeemPracticeToken({ username: `someone-${i}`, token: 'AAAAAAAAAA' }, caller)).toEqual({ kind: 'failed' });
    }
    expect(await f.recovery.redeemPracticeToken({ username: james.account.username, token }, caller)).toEqual({ kind: 'failed' });
    const last = (await f.auditEvents({ conversationRef: caller.conversationRef })).at(-1)!;
    expect([last.type, last.accountRef, last.detail]).toEqual([
      'rate-limited',
      f.services.audit.accountRef(james.account.username),
      { flow: 'practice-token', limit: 'practiceTokenPerConversation' },
    ]);
    // Not checked, so not consumed: the patient can still use it from a fresh conversation.
    expect((await f.recovery.redeemPracticeToken({ username: james.account.username, token }, f.caller())).kind).toBe('link');
  });

  it(`${ACCOUNT_PER_HOUR} attempts per account an hour (RATE_LIMIT_ACCOUNT_PER_HOUR) across conversations and spellings`, async () => {
    const token = await freshAccount(aisha.account.username);
    const spellings = [aisha.account.username, aisha.account.username.toUpperCase(), ` ${aisha.account.username} `, 'ＡＲＡＨＭＡＮ９０'];
    for (let i = 0; i < ACCOUNT_PER_HOUR; i += 1) {
      expect(await f.recovery.redeemPracticeToken({ username: spellings[i % spellings.length]!, token: 'BBBBBBBBBB' }, f.caller())).toEqual({ kind: 'failed' });
    }
    const caller = f.caller();
    expect(await f.recovery.redeemPracticeToken({ username: aisha.account.username, token }, caller)).toEqual({ kind: 'failed' });
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.detail])).toEqual([['rate-limited', { flow: 'practice-token', limit: 'perAccount' }]]);
    // The token was not checked, so it survives for when the hour has passed.
    await forgetLimit(f.redis, f.keys, 'perAccount', accountLimitKey(f.config.serverSecret, aisha.account.username));
    expect((await f.recovery.redeemPracticeToken({ username: aisha.account.username, token }, f.caller())).kind).toBe('link');
  });
});

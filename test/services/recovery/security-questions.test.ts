/**
 * Reset by security questions against real Redis: the account's real questions, stable decoys for
 * usernames that do not exist (the same for every spelling the directory treats as one username), three
 * tries per question, a lock after the third wrong answer that refuses even the right one, and the
 * one-time chat link once both are right.
 */
import { SECURITY_QUESTION_POOL } from '../../../services/directory';
import { CHAT_LINK_MINUTES, decoyQuestions } from '../../../services/recovery';
import { demoPatient, startRecoveryServices, TEST_PUBLIC_BASE_URL, tokenFromResetUrl, type RecoveryFixture } from '../../helpers/recovery';
import { accountKeyId } from '../../../services/directory/redis-directory';

const DB = 6;
const CONVERSATION_PER_MINUTE = 8;

const maria = demoPatient('P-1001');
const james = demoPatient('P-1002');
const aisha = demoPatient('P-1003');
const robert = demoPatient('P-1004'); // unenrolled
const sofia = demoPatient('P-1006');

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('rec-questions', DB, { RATE_LIMIT_CONVERSATION_PER_MINUTE: String(CONVERSATION_PER_MINUTE) });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

/** Spellings the directory treats as one username: case, surrounding spaces, full-width (NFKC) forms. */
const SPELLINGS: Array<[string, (u: string) => string]> = [
  ['as typed', (u) => u],
  ['upper case', (u) => u.toUpperCase()],
  ['lower case', (u) => u.toLowerCase()],
  ['surrounding spaces', (u) => `  ${u}\t`],
  ['full-width', (u) => [...u].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('')],
  ['full-width upper case', (u) => [...u.toUpperCase()].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('')],
];

async function questionsOf(username: string): Promise<[string, string]> {
  const q0 = await f.recovery.securityQuestion(username, 0, f.caller());
  const q1 = await f.recovery.securityQuestion(username, 1, f.caller());
  if (q0.kind !== 'question' || q1.kind !== 'question') throw new Error(`path locked for ${username}`);
  return [q0.question, q1.question];
}

describe('securityQuestion', () => {
  it("asks a real account's own two questions, in order, for every spelling of its username", async () => {
    const expected = james.account.securityQuestions.map((q) => q.question);
    for (const [, spell] of SPELLINGS) expect(await questionsOf(spell(james.account.username))).toEqual(expected);
  });

  it('asks an unknown username two distinct decoy questions from the pool real accounts use', async () => {
    const [q0, q1] = await questionsOf('nobody-at-all-77');
    expect(SECURITY_QUESTION_POOL).toContain(q0);
    expect(SECURITY_QUESTION_POOL).toContain(q1);
    expect(q1).not.toBe(q0);
    expect([q0, q1]).toEqual(decoyQuestions(f.config.serverSecret, 'nobody-at-all-77'));
  });

  it('gives an unknown username the same decoys for every spelling the directory treats as the same username', async () => {
    // The property: whenever the directory resolves two spellings to one account, an unknown username
    // spelled those ways gets one pair of decoys — checked over several names and every spelling.
    for (const [, spell] of SPELLINGS) {
      expect((await f.services.directory.findByUsername(spell(sofia.account.username)))?.account.username).toBe(sofia.account.username);
    }
    const unknown = ['Ghost.User99', 'zz-top-1975', 'MiXeD_CaSe_42', 'quiet.river.2024', 'nobody@example.com'];
    for (const name of unknown) {
      expect(await f.services.directory.findByUsername(name)).toBeNull();
      const base = await questionsOf(name);
      for (const [how, spell] of SPELLINGS) {
        expect({ how, questions: await questionsOf(spell(name)) }).toEqual({ how, questions: base });
      }
    }
  });

  it('decoys differ between unknown usernames (not one fixed pair that would give them away)', async () => {
    const pairs = new Set<string>();
    for (let i = 0; i < 12; i += 1) pairs.add((await questionsOf(`made-up-user-${i}`)).join(' | '));
    expect(pairs.size).toBeGreaterThan(1);
  });
});

describe('checkSecurityAnswer', () => {
  it('right answers (case-, space-, accent- and punctuation-insensitive) are right and cost no try', async () => {
    const caller = f.caller();
    expect(await f.recovery.checkSecurityAnswer({ username: sofia.account.username, index: 0, answer: 'mrs delgado' }, caller)).toEqual({ kind: 'right' });
    expect(await f.recovery.checkSecurityAnswer({ username: 'SALVAREZ85', index: 1, answer: '  CÁRMEN ' }, caller)).toEqual({ kind: 'right' });
    expect(await f.services.securityLock.isLocked(sofia.account.username)).toBe(false);
    expect(await f.auditEvents({ conversationRef: caller.conversationRef })).toEqual([]);
  });

  it('three wrong answers to one question lock the path; then even the right answer is refused', async () => {
    const username = maria.account.username;
    const right = maria.account.securityQuestions[0]!.answer;
    const caller = f.caller();
    const check = (answer: string, index: 0 | 1 = 0) => f.recovery.checkSecurityAnswer({ username, index, answer }, caller);

    expect(await check('Rex')).toEqual({ kind: 'wrong', triesLeft: 2 });
    expect(await check('Fido')).toEqual({ kind: 'wrong', triesLeft: 1 });
    expect(await check('Spot')).toEqual({ kind: 'locked' });
    expect(await check(right)).toEqual({ kind: 'locked' });
    expect(await check(maria.account.securityQuestions[1]!.answer, 1)).toEqual({ kind: 'locked' });
    expect(await f.recovery.securityQuestion(username, 0, f.caller())).toEqual({ kind: 'locked' });
    expect(await f.recovery.securityQuestion(username.toUpperCase(), 1, f.caller())).toEqual({ kind: 'locked' });

    // Another conversation is refused as well: the lock is on the account, not the chat.
    expect(await f.recovery.checkSecurityAnswer({ username: ` ${username.toUpperCase()}`, index: 0, answer: right }, f.caller())).toEqual({ kind: 'locked' });

    const accountRef = f.services.audit.accountRef(username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['security-answer-failed', accountRef, { question: 1, triesLeft: 2 }],
      ['security-answer-failed', accountRef, { question: 1, triesLeft: 1 }],
      ['security-answer-failed', accountRef, { question: 1, triesLeft: 0 }],
      ['security-path-locked', accountRef, undefined],
    ]);
    // The lock lasts 24 hours (the TTL Redis holds).
    const ttl = await f.redis.ttl(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, username), 'sq', 'lock'));
    expect(ttl).toBeGreaterThan(24 * 3600 - 10);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('locks an unknown username the same way (nothing tells it apart from a real one)', async () => {
    const caller = f.caller();
    const check = (answer: string) => f.recovery.checkSecurityAnswer({ username: 'not-a-user-123', index: 1, answer }, caller);
    expect(await check('a')).toEqual({ kind: 'wrong', triesLeft: 2 });
    expect(await check('b')).toEqual({ kind: 'wrong', triesLeft: 1 });
    expect(await check('c')).toEqual({ kind: 'locked' });
    expect(await f.recovery.securityQuestion('NOT-A-USER-123', 0, f.caller())).toEqual({ kind: 'locked' });
  });

  it('a right answer clears that question’s count of wrong answers', async () => {
    const username = aisha.account.username;
    const caller = f.caller();
    const check = (answer: string) => f.recovery.checkSecurityAnswer({ username, index: 0, answer }, caller);
    expect(await check('Washington Elementary')).toEqual({ kind: 'wrong', triesLeft: 2 });
    expect(await check('Jefferson Elementary')).toEqual({ kind: 'wrong', triesLeft: 1 });
    expect(await check('lincoln elementary')).toEqual({ kind: 'right' });
    expect(await check('Roosevelt Elementary')).toEqual({ kind: 'wrong', triesLeft: 2 });
  });

  it('isNotAnAnswer: a question instead of an answer counts no try and is not audited', async () => {
    const username = james.account.username;
    const caller = f.caller();
    const isNotAnAnswer = (text: string) => text.trim().endsWith('?');
    const check = (answer: string) => f.recovery.checkSecurityAnswer({ username, index: 0, answer, isNotAnAnswer }, caller);

    for (let i = 0; i < 4; i += 1) expect(await check('how do I enroll?')).toEqual({ kind: 'not-an-answer' });
    expect(await check('Toyota')).toEqual({ kind: 'wrong', triesLeft: 2 });
    // The right answer is right even if the conversation layer would call it a question.
    expect(await f.recovery.checkSecurityAnswer({ username, index: 0, answer: 'Ford Falcon?', isNotAnAnswer }, caller)).toEqual({ kind: 'right' });
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.detail])).toEqual([['security-answer-failed', { question: 1, triesLeft: 2 }]]);
  });

  it("over the per-conversation limit: 'limited', audited, and no try counted", async () => {
    const username = 'limit-probe-user';
    const caller = f.caller();
    const isNotAnAnswer = () => true;
    for (let i = 0; i < CONVERSATION_PER_MINUTE; i += 1) {
      expect(await f.recovery.checkSecurityAnswer({ username, index: 0, answer: 'what?', isNotAnAnswer }, caller)).toEqual({ kind: 'not-an-answer' });
    }
    for (let i = 0; i < 3; i += 1) {
      expect(await f.recovery.checkSecurityAnswer({ username, index: 0, answer: `wrong-${i}` }, caller)).toEqual({ kind: 'limited' });
    }
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual(
      Array(3).fill(['rate-limited', f.services.audit.accountRef(username), { flow: 'security-questions', limit: 'perConversation' }]),
    );
    expect(await f.recovery.checkSecurityAnswer({ username, index: 0, answer: 'wrong' }, f.caller())).toEqual({ kind: 'wrong', triesLeft: 2 });
  });

  it('parallel wrong guesses from many conversations cannot outrun the three tries', async () => {
    const username = 'parallel-target';
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => f.recovery.checkSecurityAnswer({ username, index: 0, answer: `guess-${i}` }, f.caller())),
    );
    const kinds = verdicts.map((v) => (v.kind === 'wrong' ? `wrong:${v.triesLeft}` : v.kind)).sort();
    expect(kinds).toEqual(['locked', 'locked', 'locked', 'locked', 'locked', 'locked', 'wrong:1', 'wrong:2']);
    const failed = await f.auditEvents({ type: 'security-answer-failed', accountRef: f.services.audit.accountRef(username) });
    expect(failed).toHaveLength(3);
  });
});

describe('beginSecurityQuestions and the chat link', () => {
  it('beginSecurityQuestions audits a reset request by questions, naming no account', async () => {
    const caller = f.caller();
    await f.recovery.beginSecurityQuestions(caller);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([['reset-requested', undefined, { via: 'questions' }]]);
  });

  it(`both right → a one-time link in chat, valid ${CHAT_LINK_MINUTES} minutes`, async () => {
    const username = sofia.account.username;
    const caller = f.caller();
    await f.recovery.beginSecurityQuestions(caller);
    for (const index of [0, 1] as const) {
      const answer = sofia.account.securityQuestions[index]!.answer;
      expect(await f.recovery.checkSecurityAnswer({ username, index, answer }, caller)).toEqual({ kind: 'right' });
    }
    const link = await f.recovery.issueChatResetLink(username, 'questions', caller);
    if (link.kind !== 'link') throw new Error(`expected a link, got ${link.kind}`);
    expect(link.minutes).toBe(CHAT_LINK_MINUTES);
    expect(link.url).toMatch(new RegExp(`^${TEST_PUBLIC_BASE_URL.replace(/\./g, '\\.')}/reset\\?token=[A-Za-z0-9_-]{43}$`));
    const token = tokenFromResetUrl(link.url);
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: true });
    expect(await f.services.tokens.inspectResetLink(token)).toEqual({ state: 'valid', username, via: 'questions' });
    const ttl = await f.redis.ttl(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, username), 'reset'));
    expect(ttl).toBeGreaterThan(CHAT_LINK_MINUTES * 60 - 5);
    expect(ttl).toBeLessThanOrEqual(CHAT_LINK_MINUTES * 60);

    const accountRef = f.services.audit.accountRef(username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-requested', undefined, { via: 'questions' }],
      ['reset-link-issued', accountRef, { via: 'questions' }],
    ]);
  });

  it("an unenrolled account gets no link: 'not-active', audited", async () => {
    const caller = f.caller();
    expect(await f.recovery.issueChatResetLink(robert.account.username, 'questions', caller)).toEqual({ kind: 'not-active' });
    expect(await f.redis.exists(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, robert.account.username), 'reset'))).toBe(0);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-requested', f.services.audit.accountRef(robert.account.username), { via: 'questions', outcome: 'not-active' }],
    ]);
  });
});

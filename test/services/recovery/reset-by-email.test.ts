/**
 * emailResetLink against real Redis and a real SMTP server: a one-time link to the verified email of an
 * active account, found by that email or by the username; at most RESET_EMAILS_PER_ACCOUNT_PER_HOUR an
 * hour; the emailed link works with checkResetLink.
 */
import { accountLimitKey, EMAIL_LINK_MINUTES } from '../../../services/recovery';
import { forgetLimit } from '../../helpers/limits';
import { demoPatient, startRecoveryServices, TEST_PUBLIC_BASE_URL, tokenFromResetUrl, type RecoveryFixture } from '../../helpers/recovery';
import { expectNoMailAfter, waitForMail } from '../../helpers/wait';
import { accountKeyId } from '../../../services/directory/redis-directory';

const DB = 6;
const RESET_EMAILS_PER_HOUR = 2; // configured below the default of 3, to prove the setting is read

const maria = demoPatient('P-1001'); // active, verified email
const james = demoPatient('P-1002'); // active, no verified email
const robert = demoPatient('P-1004'); // unenrolled, verified email
const sofia = demoPatient('P-1006'); // active, verified email

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('rec-reset-email', DB, { RESET_EMAILS_PER_ACCOUNT_PER_HOUR: String(RESET_EMAILS_PER_HOUR) });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

async function forgetAccountLimit(username: string): Promise<void> {
  await forgetLimit(f.redis, f.keys, 'resetEmailsPerAccount', accountLimitKey(f.config.serverSecret, username));
}

describe('emailResetLink', () => {
  it.each([
    ['the verified email', (p: typeof maria) => p.account.verifiedEmail!.toUpperCase()],
    ['the username', (p: typeof maria) => p.account.username.toUpperCase()],
  ])('by %s: mails a working one-time link to the verified address', async (_by, login) => {
    await forgetAccountLimit(maria.account.username);
    const since = await f.mailMark();
    const caller = f.caller();
    expect(await f.recovery.emailResetLink(login(maria), caller)).toBe('sent');

    const [mail] = await waitForMail(f.smtp, f.mailTo(maria.account.verifiedEmail!, since));
    expect(mail!.subject).toBe('Reset your Recovery Test Clinic patient portal password');
    expect(mail!.text).toContain(`${TEST_PUBLIC_BASE_URL}/reset?token=`);
    expect(mail!.text).toContain(`expires in ${EMAIL_LINK_MINUTES} minutes`);
    const token = tokenFromResetUrl(mail!.text!);
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: true });
    const info = await f.services.tokens.inspectResetLink(token);
    expect(info).toEqual({ state: 'valid', username: maria.account.username.toLowerCase(), via: 'email' });

    const accountRef = f.services.audit.accountRef(maria.account.username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-requested', accountRef, { via: 'email' }],
      ['reset-link-sent', accountRef, { via: 'email' }],
    ]);
  });

  it(`the link lives ${EMAIL_LINK_MINUTES} minutes (the TTL Redis holds for the account's live link)`, async () => {
    await forgetAccountLimit(sofia.account.username);
    expect(await f.recovery.emailResetLink(sofia.account.username, f.caller())).toBe('sent');
    const ttl = await f.redis.ttl(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, sofia.account.username), 'reset'));
    expect(ttl).toBeGreaterThan(EMAIL_LINK_MINUTES * 60 - 5);
    expect(ttl).toBeLessThanOrEqual(EMAIL_LINK_MINUTES * 60);
  });

  it('a newer link revokes the older one', async () => {
    await forgetAccountLimit(sofia.account.username);
    const since = await f.mailMark();
    expect(await f.recovery.emailResetLink(sofia.account.verifiedEmail!, f.caller())).toBe('sent');
    expect(await f.recovery.emailResetLink(sofia.account.username, f.caller())).toBe('sent');
    const [first, second] = (await waitForMail(f.smtp, f.mailTo(sofia.account.verifiedEmail!, since), 2)).map((m) => tokenFromResetUrl(m.text!));
    // Delivery order is not creation order: exactly one of the two still works.
    const states = await Promise.all([first!, second!].map(async (t) => (await f.services.tokens.inspectResetLink(t)).state));
    expect(states.sort()).toEqual(['revoked', 'valid']);
  });

  it.each([
    ['an unknown username', 'no-such-user-42'],
    ['an unknown email', 'no-such-user@example.com'],
    ['an active account without a verified email (by username)', james.account.username],
    ['a notification-only address', james.notificationEmail!],
    ['an unenrolled account (by its verified email)', robert.account.verifiedEmail!],
    ['an unenrolled account (by username)', robert.account.username],
  ])("%s is 'no-match': audited, no link issued, no mail", async (_what, login) => {
    const since = await f.mailMark();
    const caller = f.caller();
    expect(await f.recovery.emailResetLink(login, caller)).toBe('no-match');
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([['reset-requested', undefined, { via: 'email', outcome: 'no-verified-email-account' }]]);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });

  it('the unenrolled account has no live link afterwards', async () => {
    expect(await f.recovery.emailResetLink(robert.account.username, f.caller())).toBe('no-match');
    expect(await f.redis.exists(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, robert.account.username.toLowerCase()), 'reset'))).toBe(0);
  });

  it(`${RESET_EMAILS_PER_HOUR} links per account an hour (RESET_EMAILS_PER_ACCOUNT_PER_HOUR), then 'limited' whatever the spelling or conversation`, async () => {
    await forgetAccountLimit(maria.account.username);
    const since = await f.mailMark();
    const logins = [maria.account.username, maria.account.verifiedEmail!];
    for (let i = 0; i < RESET_EMAILS_PER_HOUR; i += 1) {
      expect(await f.recovery.emailResetLink(logins[i % 2]!, f.caller())).toBe('sent');
    }
    await waitForMail(f.smtp, f.mailTo(maria.account.verifiedEmail!, since), RESET_EMAILS_PER_HOUR);
    const liveBefore = await f.redis.get(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, maria.account.username), 'reset'));

    const caller = f.caller();
    expect(await f.recovery.emailResetLink(`  ${maria.account.username.toUpperCase()}`, caller)).toBe('limited');
    const accountRef = f.services.audit.accountRef(maria.account.username);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-requested', accountRef, { via: 'email' }],
      ['rate-limited', accountRef, { flow: 'reset-email', limit: 'resetEmailsPerAccount' }],
    ]);
    // No new link: the live one is unchanged, and no further mail went out.
    expect(await f.redis.get(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, maria.account.username), 'reset'))).toBe(liveBefore);
    await expectNoMailAfter(f.smtp, f.mailTo(maria.account.verifiedEmail!, since), f.mailIdle, RESET_EMAILS_PER_HOUR);
  });

});

describe('emailResetLink with the default configuration', () => {
  let d: RecoveryFixture;
  beforeAll(async () => {
    d = await startRecoveryServices('rec-reset-default', DB, {}, { patients: [maria] });
  }, 60_000);
  afterAll(async () => {
    await d?.stop();
  });

  it("sends 3 links per account an hour, then 'limited'", async () => {
    for (let i = 0; i < 3; i += 1) expect(await d.recovery.emailResetLink(maria.account.username, d.caller())).toBe('sent');
    expect(await d.recovery.emailResetLink(maria.account.username, d.caller())).toBe('limited');
    await expectNoMailAfter(d.smtp, d.mailTo(maria.account.verifiedEmail!), d.mailIdle, 3);
  });
});

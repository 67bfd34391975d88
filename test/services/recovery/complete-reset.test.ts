/**
 * checkResetLink and completePasswordReset against real Redis and a real SMTP server — the reset page's
 * work without HTTP: policy and confirmation checked first (nothing changes on a rejection), then the link
 * consumed, the password set, other links revoked, the change audited and a notice emailed to the
 * addresses on file. Links that do not work are audited by what went wrong.
 */
import { randomBytes } from 'node:crypto';
import { createRecovery, EMAIL_LINK_MINUTES } from '../../../services/recovery';
import { RedisTokenService } from '../../../services/tokens';
import { demoPatient, readDemoAccounts, startRecoveryServices, type RecoveryFixture } from '../../helpers/recovery';
import { expectNoMailAfter, waitForMail } from '../../helpers/wait';
import { accountKeyId } from '../../../services/directory/redis-directory';

const DB = 6;
const NEW_PASSWORD = 'Lantern-Orchard-57!';

const maria = demoPatient('P-1001'); // verified and notification email are the same address
const aisha = demoPatient('P-1003'); // no email on file at all
const sofia = demoPatient('P-1006');

/** A patient of this file's own whose verified and notification emails differ. */
const TWO_ADDRESSES = {
  id: 'P-9001',
  firstName: 'Dana',
  lastName: 'Whitfield',
  dateOfBirth: '1970-01-15',
  notificationEmail: 'dana.home@example.net',
  account: {
    username: 'dwhitfield70',
    password: 'Granite#Falls-2020',
    verifiedEmail: 'Dana.Work@example.org',
    securityQuestions: [
      { question: 'What was the name of your first pet?', answer: 'Pepper' },
      { question: 'What was your first job?', answer: 'Lifeguard' },
    ],
    status: 'active' as const,
  },
};

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('rec-complete', DB, {}, { patients: [...readDemoAccounts().patients, TWO_ADDRESSES] });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const link = async (username: string, via: 'email' | 'questions' | 'practice-token' = 'email') =>
  (await f.services.tokens.issueResetLink(username, { ttlSeconds: EMAIL_LINK_MINUTES * 60, via })).token;

const passwordChanged = (m: { subject?: string }) => m.subject === 'Your Recovery Test Clinic patient portal password was changed';

describe('completePasswordReset: rejected input changes nothing', () => {
  it.each([
    ['that is common and too simple', 'password', ['upper', 'number', 'special', 'not-common']],
    ['containing the username', `X!9${sofia.account.username}`, ['no-username']],
    ['containing the last name', 'Alvarez-Ruiz#2024', ['no-last-name']],
    ['with a space at the end', 'Lantern-Orchard-57! ', ['no-edge-space']],
  ])('a password %s is rejected with exactly the failed rules', async (_what, password, failed) => {
    const token = await link(sofia.account.username);
    const outcome = await f.recovery.completePasswordReset({ token, password, confirm: password });
    if (outcome.kind !== 'rejected') throw new Error(`expected rejected, got ${outcome.kind}`);
    expect(outcome.matches).toBe(true);
    expect(outcome.policy.ok).toBe(false);
    expect(outcome.policy.rules.filter((r) => !r.ok).map((r) => r.id)).toEqual(failed);
    // Nothing changed: the old password still works, the new one does not, the link is still valid.
    expect(await f.services.directory.verifyPassword(sofia.account.username, sofia.account.password)).toBe(true);
    expect(await f.services.directory.verifyPassword(sofia.account.username, password)).toBe(false);
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: true });
  });

  it('a confirmation that differs is rejected (matches: false) with the policy passing', async () => {
    const token = await link(sofia.account.username);
    const outcome = await f.recovery.completePasswordReset({ token, password: NEW_PASSWORD, confirm: `${NEW_PASSWORD}x` });
    if (outcome.kind !== 'rejected') throw new Error(`expected rejected, got ${outcome.kind}`);
    expect(outcome.matches).toBe(false);
    expect(outcome.policy.ok).toBe(true);
    expect(await f.services.directory.verifyPassword(sofia.account.username, sofia.account.password)).toBe(true);
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: true });
  });
});

describe('completePasswordReset: success', () => {
  it('sets the password, consumes the link, revokes older links, audits, and emails both addresses on file', async () => {
    const { username } = TWO_ADDRESSES.account;
    const older = await link(username, 'questions');
    const token = await link(username.toUpperCase(), 'email');
    expect(await f.services.tokens.inspectResetLink(older)).toMatchObject({ state: 'revoked' });
    const since = await f.mailMark();
    const auditedBefore = (await f.auditEvents()).length;

    expect(await f.recovery.completePasswordReset({ token, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).toEqual({ kind: 'changed', notified: true });

    expect(await f.services.directory.verifyPassword(username, NEW_PASSWORD)).toBe(true);
    expect(await f.services.directory.verifyPassword(username, TWO_ADDRESSES.account.password)).toBe(false);
    // The link is consumed; no link of the account works any more.
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: false, problem: 'used' });
    expect(await f.recovery.checkResetLink(older)).toEqual({ ok: false, problem: 'revoked' });
    expect(await f.redis.exists(f.keys.tagged('acct', accountKeyId(f.config.serverSecret, username), 'reset'))).toBe(0);
    expect(await f.recovery.completePasswordReset({ token, password: 'Another-Pass-99!', confirm: 'Another-Pass-99!' })).toEqual({
      kind: 'link-problem',
      problem: 'used',
    });
    expect(await f.services.directory.verifyPassword(username, NEW_PASSWORD)).toBe(true);

    const mails = await waitForMail(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since && passwordChanged(m), 2);
    const recipients = mails.flatMap((m) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address?.toLowerCase())));
    expect(recipients.sort()).toEqual(['dana.home@example.net', 'dana.work@example.org']);
    expect(mails[0]!.text).toContain("If you didn't change your password, please call us right away");
    expect(mails[0]!.text).not.toContain(NEW_PASSWORD);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle, 2);

    const accountRef = f.services.audit.accountRef(username);
    const events = (await f.auditEvents()).slice(auditedBefore);
    expect(events.every((e) => e.accountRef === accountRef)).toBe(true);
    expect(events.map((e) => [e.type, e.patientId, e.detail])).toEqual([
      ['reset-link-used', undefined, { via: 'email' }],
      ['password-changed', TWO_ADDRESSES.id, undefined],
      ['reset-link-invalid', undefined, { state: 'used' }],
      ['reset-link-invalid', undefined, { state: 'revoked' }],
      ['reset-link-invalid', undefined, { state: 'used' }],
    ]);
  });

  it('a link issued while the password is being changed is revoked with the rest', async () => {
    const { username } = sofia.account;
    const real = f.services.tokens;
    let racing: string | undefined;
    // The real token service, with a second link issued for the account right after the first is consumed.
    const tokens: typeof real = Object.assign(Object.create(real) as typeof real, {
      async consumeResetLink(token: string) {
        const consumed = await real.consumeResetLink(token);
        racing = (await real.issueResetLink(username, { ttlSeconds: 600, via: 'questions' })).token;
        return consumed;
      },
    });
    const recovery = createRecovery(f.deps({ tokens }));
    const token = await link(username);
    const password = 'Racing-Links-63!';
    expect(await recovery.completePasswordReset({ token, password, confirm: password })).toEqual({ kind: 'changed', notified: true });
    expect(racing).toBeDefined();
    expect(await f.recovery.checkResetLink(racing!)).toEqual({ ok: false, problem: 'revoked' });
    expect(await f.services.directory.verifyPassword(username, password)).toBe(true);
  });

  it('the same address as verified and notification email gets one notice', async () => {
    const token = await link(maria.account.username);
    const since = await f.mailMark();
    expect(await f.recovery.completePasswordReset({ token, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).toEqual({ kind: 'changed', notified: true });
    expect(await f.services.directory.verifyPassword(maria.account.username, NEW_PASSWORD)).toBe(true);
    await waitForMail(f.smtp, (m) => f.mailTo(maria.account.verifiedEmail!, since)(m) && passwordChanged(m));
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle, 1);
  });

  it("an account with no email on file is changed with notified: false and no mail", async () => {
    const token = await link(aisha.account.username, 'practice-token');
    const since = await f.mailMark();
    expect(await f.recovery.completePasswordReset({ token, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).toEqual({ kind: 'changed', notified: false });
    expect(await f.services.directory.verifyPassword(aisha.account.username, NEW_PASSWORD)).toBe(true);
    const events = await f.auditEvents({ accountRef: f.services.audit.accountRef(aisha.account.username), type: 'reset-link-used' });
    expect(events.map((e) => e.detail)).toEqual([{ via: 'practice-token' }]);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });

  it('of two simultaneous submits of one link exactly one changes the password', async () => {
    const { username } = sofia.account;
    const token = await link(username);
    const [a, b] = await Promise.all([
      f.recovery.completePasswordReset({ token, password: 'First-Submit-41!', confirm: 'First-Submit-41!' }),
      f.recovery.completePasswordReset({ token, password: 'Second-Submit-42!', confirm: 'Second-Submit-42!' }),
    ]);
    const outcomes = [a, b].map((o) => (o.kind === 'link-problem' ? `link-problem:${o.problem}` : o.kind)).sort();
    expect(outcomes).toEqual(['changed', 'link-problem:used']);
    const winner = a.kind === 'changed' ? 'First-Submit-41!' : 'Second-Submit-42!';
    const loser = a.kind === 'changed' ? 'Second-Submit-42!' : 'First-Submit-41!';
    expect(await f.services.directory.verifyPassword(username, winner)).toBe(true);
    expect(await f.services.directory.verifyPassword(username, loser)).toBe(false);
  });
});

describe('links that do not work', () => {
  const PROBE = 'Revoked-Probe-31!';
  const tryReset = (token: string) => f.recovery.completePasswordReset({ token, password: PROBE, confirm: PROBE });

  it.each([
    ['a token never issued', () => randomBytes(32).toString('base64url')],
    ['an empty token', () => ''],
    ['an absurdly long token', () => 'x'.repeat(5_000)],
  ])("%s → link-problem 'unknown', audited as invalid with no account", async (_what, make) => {
    const token = make();
    const before = (await f.auditEvents()).length;
    expect(await f.recovery.checkResetLink(token)).toEqual({ ok: false, problem: 'unknown' });
    expect(await tryReset(token)).toEqual({ kind: 'link-problem', problem: 'unknown' });
    const events = (await f.auditEvents()).slice(before);
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-link-invalid', undefined, { state: 'unknown' }],
      ['reset-link-invalid', undefined, { state: 'unknown' }],
    ]);
  });

  it("a superseded link → link-problem 'revoked', audited under the account, password unchanged", async () => {
    const { username } = TWO_ADDRESSES.account;
    const older = await link(username);
    const newer = await link(username);
    const before = (await f.auditEvents()).length;
    expect(await tryReset(older)).toEqual({ kind: 'link-problem', problem: 'revoked' });
    const events = (await f.auditEvents()).slice(before);
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([['reset-link-invalid', f.services.audit.accountRef(username), { state: 'revoked' }]]);
    expect(await f.services.directory.verifyPassword(username, PROBE)).toBe(false);
    expect(await f.recovery.checkResetLink(newer)).toEqual({ ok: true });
  });

  it("an expired link → link-problem 'expired', audited as expired, nothing changed (injected clock, no sleep)", async () => {
    const { username } = sofia.account;
    let now = Date.now();
    const tokens = new RedisTokenService({ redis: f.redis, keys: f.keys, serverSecret: f.config.serverSecret, now: () => now });
    const recovery = createRecovery(f.deps({ tokens }));
    const { token } = await tokens.issueResetLink(username, { ttlSeconds: EMAIL_LINK_MINUTES * 60, via: 'email' });
    const probe = 'Probe-Password-77!';

    now += EMAIL_LINK_MINUTES * 60 * 1000 - 1_000;
    expect(await recovery.checkResetLink(token)).toEqual({ ok: true });
    now += 2_000;
    const before = (await f.auditEvents()).length;
    expect(await recovery.checkResetLink(token)).toEqual({ ok: false, problem: 'expired' });
    expect(await recovery.completePasswordReset({ token, password: probe, confirm: probe })).toEqual({ kind: 'link-problem', problem: 'expired' });
    expect(await f.services.directory.verifyPassword(username, probe)).toBe(false);
    const events = (await f.auditEvents()).slice(before);
    const accountRef = f.services.audit.accountRef(username);
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([
      ['reset-link-expired', accountRef, { state: 'expired' }],
      ['reset-link-expired', accountRef, { state: 'expired' }],
    ]);
  });
});

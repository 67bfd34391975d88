/**
 * recoverUsername against real Redis and a real SMTP server: the username is only ever emailed — to the
 * verified email, or to the notification email when it, the last name and the date of birth all match —
 * and an unknown or limited request sends nothing.
 */
import { accountLimitKey, TurnScope } from '../../../services/recovery';
import { forgetLimit } from '../../helpers/limits';
import { demoPatient, readDemoAccounts, startRecoveryServices, type RecoveryFixture } from '../../helpers/recovery';
import { expectNoMailAfter, waitForMail } from '../../helpers/wait';

const DB = 6;
const ACCOUNT_PER_HOUR = 3;
const CONVERSATION_PER_MINUTE = 5;

const maria = demoPatient('P-1001'); // verified + notification email, the same address
const james = demoPatient('P-1002'); // notification email only

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('rec-username', DB, {
    RATE_LIMIT_ACCOUNT_PER_HOUR: String(ACCOUNT_PER_HOUR),
    RATE_LIMIT_CONVERSATION_PER_MINUTE: String(CONVERSATION_PER_MINUTE),
  });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

/** Each test starts from a fresh per-email count, whatever ran before it. */
async function forgetEmailLimit(email: string): Promise<void> {
  await forgetLimit(f.redis, f.keys, 'perAccount', accountLimitKey(f.config.serverSecret, email, 'email'));
}

describe("a chat turn's mail (Caller.turn)", () => {
  it('is held until the turn flushes it, after its state is saved', async () => {
    await forgetEmailLimit(maria.account.verifiedEmail!);
    const since = await f.mailMark();
    const turn = new TurnScope();
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: maria.account.verifiedEmail! }, { ...f.caller('msg-held'), turn })).toBe('sent');
    expect(turn.pendingFlush).toBe(true);
    await expectNoMailAfter(f.smtp, f.mailTo(maria.account.verifiedEmail!, since), f.mailIdle);
    await turn.flushMail();
    const [mail] = await waitForMail(f.smtp, f.mailTo(maria.account.verifiedEmail!, since));
    expect(mail!.text).toContain(`Your username is: ${maria.account.username}`);
  });

  it('is never sent when the turn is abandoned before it committed', async () => {
    await forgetEmailLimit(maria.account.verifiedEmail!);
    const since = await f.mailMark();
    const turn = new TurnScope();
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: maria.account.verifiedEmail! }, { ...f.caller('msg-abandoned'), turn })).toBe('sent');
    turn.abandon();
    await expect(turn.flushMail()).rejects.toThrow(/abandoned/);
    await expectNoMailAfter(f.smtp, f.mailTo(maria.account.verifiedEmail!, since), f.mailIdle);
  });
});

describe('recoverUsername by verified email', () => {
  it('emails the username to the verified address on file, matched case-insensitively', async () => {
    await forgetEmailLimit(maria.account.verifiedEmail!);
    const since = await f.mailMark();
    const caller = f.caller('msg-1');
    const outcome = await f.recovery.recoverUsername({ via: 'verified-email', email: '  Maria.GONZALEZ@Example.com ' }, caller);
    expect(outcome).toBe('sent');

    const [mail] = await waitForMail(f.smtp, f.mailTo(maria.account.verifiedEmail!, since));
    expect(mail!.subject).toBe('Your Recovery Test Clinic patient portal username');
    expect(mail!.text).toContain(`Your username is: ${maria.account.username}`);
    expect(mail!.html).toContain(maria.account.username);

    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.patientId, e.detail])).toEqual([
      ['username-sent', f.services.audit.accountRef(maria.account.username), maria.id, { via: 'verified-email' }],
    ]);
  });

  it('sends once for a repeated request (same conversation and message id)', async () => {
    await forgetEmailLimit(maria.account.verifiedEmail!);
    const since = await f.mailMark();
    const caller = f.caller('msg-repeated');
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: maria.account.verifiedEmail! }, caller)).toBe('sent');
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: maria.account.verifiedEmail! }, caller)).toBe('sent');
    await waitForMail(f.smtp, f.mailTo(maria.account.verifiedEmail!, since));
    await expectNoMailAfter(f.smtp, f.mailTo(maria.account.verifiedEmail!, since), f.mailIdle, 1);
  });

  it("an unknown email is 'no-match': audited, and no mail once the outbox settled", async () => {
    const email = 'nobody-here@example.com';
    const since = await f.mailMark();
    const caller = f.caller('msg-2');
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email }, caller)).toBe('no-match');

    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.accountRef, e.detail])).toEqual([['username-recovery-no-match', undefined, { via: 'verified-email' }]]);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });

  it("a notification-only address is not a verified email: 'no-match', nothing sent", async () => {
    const since = await f.mailMark();
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: james.notificationEmail! }, f.caller())).toBe('no-match');
    await expectNoMailAfter(f.smtp, f.mailTo(james.notificationEmail!, since), f.mailIdle);
  });
});

describe('recoverUsername by notification email, last name and date of birth', () => {
  const good = { via: 'notification-email' as const, email: james.notificationEmail!, lastName: james.lastName, dateOfBirth: james.dateOfBirth };

  it('emails the username to the notification address when all three match (last name loosely)', async () => {
    await forgetEmailLimit(james.notificationEmail!);
    const since = await f.mailMark();
    const caller = f.caller('msg-3');
    expect(await f.recovery.recoverUsername({ ...good, email: 'JIM.OConnor@example.net', lastName: 'o connor' }, caller)).toBe('sent');
    const [mail] = await waitForMail(f.smtp, f.mailTo(james.notificationEmail!, since));
    expect(mail!.text).toContain(`Your username is: ${james.account.username}`);
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.patientId, e.detail])).toEqual([['username-sent', james.id, { via: 'notification-email' }]]);
  });

  it.each([
    ['date of birth', { dateOfBirth: '1965-11-04' }],
    ['last name', { lastName: 'Connors' }],
    ['email', { email: 'jim.oconnor@example.com' }],
  ])("a wrong %s is 'no-match' and nothing is sent", async (_what, wrong) => {
    await forgetEmailLimit(james.notificationEmail!);
    const since = await f.mailMark();
    const caller = f.caller();
    expect(await f.recovery.recoverUsername({ ...good, ...wrong }, caller)).toBe('no-match');
    expect((await f.auditEvents({ conversationRef: caller.conversationRef })).map((e) => e.type)).toEqual(['username-recovery-no-match']);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });

  it("a patient without a portal account is 'no-match' even when all three match", async () => {
    const linh = readPatient('P-1005');
    const since = await f.mailMark();
    const input = { via: 'notification-email' as const, email: linh.notificationEmail!, lastName: linh.lastName, dateOfBirth: linh.dateOfBirth };
    expect(await f.recovery.recoverUsername(input, f.caller())).toBe('no-match');
    await expectNoMailAfter(f.smtp, f.mailTo(linh.notificationEmail!, since), f.mailIdle);
  });
});

describe('recoverUsername limits', () => {
  it(`after ${ACCOUNT_PER_HOUR} requests for one email an hour, 'limited': no lookup, no mail, audited`, async () => {
    const email = maria.account.verifiedEmail!;
    await forgetEmailLimit(email);
    const since = await f.mailMark();
    for (let i = 0; i < ACCOUNT_PER_HOUR; i += 1) {
      // Other spellings of the same address (case, full-width NFKC forms) share the count.
      const spelled = [email, email.toUpperCase(), toFullWidth(email)][i % 3]!;
      expect(await f.recovery.recoverUsername({ via: 'verified-email', email: spelled }, f.caller(`m${i}`))).toBe('sent');
    }
    await waitForMail(f.smtp, f.mailTo(email, since), ACCOUNT_PER_HOUR);

    const caller = f.caller('over');
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: `${email.toUpperCase()} ` }, caller)).toBe('limited');
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.detail])).toEqual([['rate-limited', { flow: 'recover-username', limit: 'perAccount' }]]);
    await expectNoMailAfter(f.smtp, f.mailTo(email, since), f.mailIdle, ACCOUNT_PER_HOUR);
  });

  // Product bug: recoverUsername.ts builds the limit key from `email:${input.email}` before normalising, so
  // normaliseIdentifier's trim cannot reach a leading space inside "email: …" — the directory still finds
  // the account (it trims), but the typed spelling gets a fresh count of its own.
  it('a leading space in the typed email shares the per-email count too (no fresh count)', async () => {
    const email = maria.account.verifiedEmail!;
    await forgetEmailLimit(email);
    for (let i = 0; i < ACCOUNT_PER_HOUR; i += 1) {
      expect(await f.recovery.recoverUsername({ via: 'verified-email', email }, f.caller(`ws${i}`))).toBe('sent');
    }
    const since = await f.mailMark();
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email: ` ${email}` }, f.caller('ws-over'))).toBe('limited');
    await expectNoMailAfter(f.smtp, f.mailTo(email, since), f.mailIdle);
  });

  it(`after ${CONVERSATION_PER_MINUTE} requests in one conversation a minute, 'limited' even for a matching email`, async () => {
    const email = maria.account.verifiedEmail!;
    await forgetEmailLimit(email);
    const caller = f.caller();
    for (let i = 0; i < CONVERSATION_PER_MINUTE; i += 1) {
      expect(await f.recovery.recoverUsername({ via: 'verified-email', email: `unknown-${i}@example.com` }, caller)).toBe('no-match');
    }
    const since = await f.mailMark();
    expect(await f.recovery.recoverUsername({ via: 'verified-email', email }, caller)).toBe('limited');
    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => e.type)).toEqual([...Array(CONVERSATION_PER_MINUTE).fill('username-recovery-no-match'), 'rate-limited']);
    expect(events.at(-1)!.detail).toEqual({ flow: 'recover-username', limit: 'perConversation' });
    await expectNoMailAfter(f.smtp, f.mailTo(email, since), f.mailIdle);
  });
});

/** The full-width (NFKC-equivalent) form of ASCII text: "a@b" → "ａ＠ｂ". */
function toFullWidth(text: string): string {
  return [...text].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');
}

function readPatient(id: string) {
  const p = readDemoAccounts().patients.find((x) => x.id === id);
  if (!p) throw new Error(`no demo patient ${id}`);
  return p;
}

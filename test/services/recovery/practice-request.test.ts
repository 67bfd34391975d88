/**
 * filePracticeRequest and practiceRequestStatus against real Redis and a real SMTP server: a request is
 * filed in the practice queue, audited by kind and announced to PRACTICE_NOTIFY_EMAIL by reference only;
 * invalid details are refused by field; a conversation may file only a few; the status is open, resolved
 * or not found (null), nothing more.
 */
import { startRecoveryServices, type RecoveryFixture } from '../../helpers/recovery';
import { createRecovery, TurnScope } from '../../../services/recovery';
import { expectNoMailAfter, waitForMail } from '../../helpers/wait';

const DB = 6;
const NOTIFY = 'frontdesk@recovery.test';
const CONVERSATION_PER_MINUTE = 4;
const REQUESTS_PER_CONVERSATION = 3; // services/limits: practiceRequestPerConversation

const REQUEST = {
  firstName: 'Linh',
  lastName: 'Nguyen',
  dateOfBirth: '2001-09-30',
  contact: { email: 'linh.nguyen@example.com', phone: '(555) 010-2005' },
};

let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices(
    'rec-request',
    DB,
    { PRACTICE_NOTIFY_EMAIL: NOTIFY, RATE_LIMIT_CONVERSATION_PER_MINUTE: String(CONVERSATION_PER_MINUTE) },
    null, // no accounts: requests are filed by people the directory may not know
  );
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('filePracticeRequest', () => {
  it.each([
    ['token-renewal', 'renewal-requested'],
    ['reactivation', 'reactivation-requested'],
    ['reset-token', 'reset-token-requested'],
  ] as const)('files a %s request, audits %s, and tells the practice the reference only', async (kind, auditType) => {
    const since = await f.mailMark();
    const caller = f.caller();
    const outcome = await f.recovery.filePracticeRequest({ kind, ...REQUEST }, caller);
    if (outcome.kind !== 'filed') throw new Error(`expected filed, got ${outcome.kind}`);
    expect(outcome.requestId).toMatch(/^R-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}$/);

    const stored = await f.services.requests.get(outcome.requestId);
    expect(stored).toMatchObject({ requestId: outcome.requestId, kind, status: 'open', ...REQUEST, conversationRef: caller.conversationRef });

    const events = await f.auditEvents({ conversationRef: caller.conversationRef });
    expect(events.map((e) => [e.type, e.requestId, e.accountRef])).toEqual([[auditType, outcome.requestId, undefined]]);

    const [mail] = await waitForMail(f.smtp, f.mailTo(NOTIFY, since));
    expect(mail!.subject).toBe(`New patient portal request ${outcome.requestId} (${kind})`);
    expect(mail!.text).toContain(`Reference: ${outcome.requestId}`);
    for (const phi of ['Linh', 'Nguyen', '2001', '09/30', 'linh.nguyen', '010-2005']) {
      expect({ phi, inText: mail!.text!.includes(phi), inHtml: String(mail!.html).includes(phi) }).toEqual({ phi, inText: false, inHtml: false });
    }
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle, 1);
  });

  it.each([
    ['an invalid contact email', { contact: { email: 'not-an-email' } }, ['contact.email']],
    ['no contact at all', { contact: {} }, ['contact']],
    ['an impossible date of birth', { dateOfBirth: '2001-02-30' }, ['dateOfBirth']],
    ['an empty first name', { firstName: '  ' }, ['firstName']],
  ])("%s → 'invalid' naming the fields; nothing filed, audited or mailed", async (_what, bad, fields) => {
    const since = await f.mailMark();
    const caller = f.caller();
    const before = (await f.services.requests.list()).length;
    expect(await f.recovery.filePracticeRequest({ kind: 'token-renewal', ...REQUEST, ...bad }, caller)).toEqual({ kind: 'invalid', fields });
    expect((await f.services.requests.list()).length).toBe(before);
    expect(await f.auditEvents({ conversationRef: caller.conversationRef })).toEqual([]);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });

  it(`${REQUESTS_PER_CONVERSATION} requests per conversation an hour, then 'limited': not filed, not mailed, audited`, async () => {
    const caller = f.caller();
    for (let i = 0; i < REQUESTS_PER_CONVERSATION; i += 1) {
      expect((await f.recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST }, caller)).kind).toBe('filed');
    }
    const since = await f.mailMark();
    const before = (await f.services.requests.list()).length;
    expect(await f.recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST }, caller)).toEqual({ kind: 'limited' });
    expect((await f.services.requests.list()).length).toBe(before);
    const last = (await f.auditEvents({ conversationRef: caller.conversationRef })).at(-1)!;
    expect([last.type, last.detail]).toEqual(['rate-limited', { flow: 'practice-request', limit: 'practiceRequestPerConversation' }]);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
    // Another conversation may still file.
    expect((await f.recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST }, f.caller())).kind).toBe('filed');
  });

  it('without PRACTICE_NOTIFY_EMAIL the request is filed and audited, no mail, and a warning is logged', async () => {
    const recovery = createRecovery(f.deps({ practiceNotifyEmail: undefined }));
    const since = await f.mailMark();
    const caller = f.caller();
    // A person of its own: the same person's same open request would get the earlier reference back.
    const outcome = await recovery.filePracticeRequest({ kind: 'reset-token', ...REQUEST, firstName: 'Unannounced' }, caller);
    if (outcome.kind !== 'filed') throw new Error(`expected filed, got ${outcome.kind}`);
    expect(await f.services.requests.status(outcome.requestId)).toBe('open');
    expect((await f.auditEvents({ conversationRef: caller.conversationRef })).map((e) => e.type)).toEqual(['reset-token-requested']);
    expect(f.logs.some((l) => l.includes(outcome.requestId) && l.includes('PRACTICE_NOTIFY_EMAIL is not set'))).toBe(true);
    await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since, f.mailIdle);
  });
});

describe('practiceRequestStatus', () => {
  it("is 'open', then 'resolved' once staff resolve it, whatever way the reference is typed", async () => {
    const filed = await f.recovery.filePracticeRequest({ kind: 'token-renewal', ...REQUEST }, f.caller());
    if (filed.kind !== 'filed') throw new Error(`expected filed, got ${filed.kind}`);
    const id = filed.requestId;
    const typed = id.toLowerCase().replace('-', ' ');
    expect(await f.recovery.practiceRequestStatus(id, f.caller())).toBe('open');
    expect(await f.recovery.practiceRequestStatus(typed, f.caller())).toBe('open');
    expect(await f.services.requests.resolve(id, { patientId: 'P-1005', resolvedBy: 'front desk' })).toMatchObject({ ok: true });
    expect(await f.recovery.practiceRequestStatus(id, f.caller())).toBe('resolved');
    expect(await f.recovery.practiceRequestStatus(id.slice(2), f.caller())).toBe('resolved');
  });

  it('is null for a reference never issued or not a reference at all', async () => {
    expect(await f.recovery.practiceRequestStatus('R-222222', f.caller())).toBeNull();
    expect(await f.recovery.practiceRequestStatus('hello there', f.caller())).toBeNull();
  });

  it(`is 'limited' after ${CONVERSATION_PER_MINUTE} look-ups in one conversation a minute`, async () => {
    const filed = await f.recovery.filePracticeRequest({ kind: 'token-renewal', ...REQUEST }, f.caller());
    if (filed.kind !== 'filed') throw new Error(`expected filed, got ${filed.kind}`);
    const caller = f.caller();
    for (let i = 0; i < CONVERSATION_PER_MINUTE; i += 1) expect(await f.recovery.practiceRequestStatus(filed.requestId, caller)).toBe('open');
    expect(await f.recovery.practiceRequestStatus(filed.requestId, caller)).toBe('limited');
    expect(await f.recovery.practiceRequestStatus(filed.requestId, f.caller())).toBe('open');
  });
});

describe('the notice of a filed request outlives its chat turn', () => {
  it('is queued even when the turn is abandoned after filing, and a retry of the same request sends no second one', async () => {
    const since = await f.mailMark();
    const request = { kind: 'reactivation' as const, ...REQUEST, firstName: 'Abandoned' };
    // The turn filed the request, then failed (Redis went away) before it committed: its deferred mail is dropped.
    const scope = new TurnScope();
    const filed = await f.recovery.filePracticeRequest(request, { ...f.caller(), turn: scope });
    if (filed.kind !== 'filed') throw new Error(`expected filed, got ${filed.kind}`);
    scope.abandon();
    // The patient was told to try again and does: the same request, its reference, and exactly one notice.
    const retryScope = new TurnScope();
    const again = await f.recovery.filePracticeRequest(request, { ...f.caller(), turn: retryScope });
    expect(again).toEqual({ kind: 'filed', requestId: filed.requestId });
    await retryScope.flushMail();
    const [mail] = await waitForMail(f.smtp, (m) => f.mailTo(NOTIFY, since)(m) && (m.text ?? '').includes(filed.requestId));
    expect(mail!.subject).toContain(filed.requestId);
    await expectNoMailAfter(f.smtp, (m) => f.mailTo(NOTIFY, since)(m) && (m.text ?? '').includes(filed.requestId) && m !== mail, () => f.services.mailer.whenIdle());
  });
});

/**
 * Enrollment use cases (issue 12) through the host's own services: real Redis, real mail through the outbox to a
 * real SMTP server in this process, the admin CLI in-process. A fresh practice (startPractice) per file.
 */
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { Keys } from '../../services/redis';
import { RedisTokenService } from '../../services/tokens';
import { PUBLIC_BASE, startPractice, type Practice } from '../helpers/e2e';

let p: Practice;
let seq = 0;

beforeAll(async () => {
  p = await startPractice('enroll-usecases');
}, 60000);

afterAll(() => p.stop());

/** `accounts:check-password USERNAME` with the password on stdin, in-process against the host's services. */
async function checkPassword(username: string, password: string): Promise<number> {
  const services: AdminServices = { ...p.host.app.services, sendMail: (m) => p.host.app.services.mailer.send(m as never) };
  return runAdmin(['accounts:check-password', username], services, { out: () => undefined, err: () => undefined, readStdin: async () => `${password}\n` });
}

const caller = () => ({ conversationRef: `test-conv-${++seq}`, turn: null });
const Q = ['What was the name of your first pet?', 'In what city were you born?'];

/** A new patient without an account, with an enrollment token. */
async function newPatient(email?: string) {
  const id = `P-9${String(++seq).padStart(3, '0')}`;
  await p.host.app.services.directory.importPatients({
    patients: [{ id, firstName: 'Dana', lastName: 'Whitfield', dateOfBirth: '1980-06-15', ...(email ? { notificationEmail: email } : {}) }],
  });
  const issued = await p.admin(['enrollment:issue', id]);
  expect(issued.code).toBe(0);
  return { id, token: issued.lines[issued.lines.length - 1]! };
}

const linkToken = (url: string) => decodeURIComponent(new RegExp(`^${PUBLIC_BASE.replace(/\./g, '\\.')}/enroll\\?token=([A-Za-z0-9_%-]+)$`).exec(url)![1]!);

const form = (link: string, username: string, extra: Record<string, unknown> = {}) => ({
  link,
  username,
  password: 'Granite!Falls512',
  confirm: 'Granite!Falls512',
  questions: [
    { question: Q[0]!, answer: 'Biscuit' },
    { question: Q[1]!, answer: 'Duluth' },
  ],
  ...extra,
});

describe('enrollment use cases', () => {
  it('token + last name + DOB → link → account; check-password succeeds and the token no longer validates', async () => {
    const { recovery } = p.host.app.services;
    const { id, token } = await newPatient();
    const out = await recovery.redeemEnrollmentToken({ token: token.toLowerCase(), lastName: ' whitfield ', dateOfBirth: '1980-06-15' }, caller());
    expect(out).toEqual({ kind: 'link', url: expect.stringMatching(/\/enroll\?token=/), minutes: 15 });
    const link = linkToken((out as { url: string }).url);
    expect(await recovery.checkEnrollLink(link)).toEqual({ ok: true });

    const created = await recovery.createAccount(form(link, `dwhit${seq}`));
    expect(created).toEqual({ kind: 'created', username: `dwhit${seq}`, verificationSent: false });
    expect(await checkPassword(`DWHIT${seq}`, 'Granite!Falls512')).toBe(0);
    expect(await checkPassword(`dwhit${seq}`, 'Granite!Falls513')).toBe(1);
    const { directory } = p.host.app.services;
    expect(await directory.verifyPassword(`dwhit${seq}`, 'Granite!Falls512')).toBe(true);
    expect((await directory.getAccountForPatient(id))?.status).toBe('active');
    expect(await directory.verifySecurityAnswer(`dwhit${seq}`, 0, ' biscuit ')).toBe(true);
    expect((await p.admin(['enrollment:check', token])).code).toBe(1);

    // The link worked once.
    expect(await recovery.checkEnrollLink(link)).toEqual({ ok: false, problem: 'used' });
    expect(await recovery.createAccount(form(link, `other${seq}`))).toEqual({ kind: 'link-problem', problem: 'used' });
    // The token works no more, even with the right name and date.
    expect(await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, caller())).toEqual({ kind: 'failed' });
  });

  it('wrong token, last name or DOB: one uniform failure, and guesses are limited per token', async () => {
    const { recovery } = p.host.app.services;
    const { token } = await newPatient();
    const attempts = [
      { token: 'ABCDEFGHJK23', lastName: 'Whitfield', dateOfBirth: '1980-06-15' },
      { token, lastName: 'Whitfeld', dateOfBirth: '1980-06-15' },
      { token, lastName: 'Whitfield', dateOfBirth: '1980-06-16' },
    ];
    for (const a of attempts) expect(await recovery.redeemEnrollmentToken(a, caller())).toEqual({ kind: 'failed' });
    // Per-token limit (enrollTokenPerToken, 5 an hour; three used above): spend it, then even the right answers fail.
    const limits = p.host.app.services.limits;
    const { accountLimitKey } = await import('../../services/recovery');
    const key = accountLimitKey(p.host.config.serverSecret, `enroll-token:${token}`);
    let spent = 0;
    while (await limits.consume('enrollTokenPerToken', key)) spent += 1;
    expect(spent).toBe(limits.rules.enrollTokenPerToken.points - 2); // two attempts typed this token exactly
    expect(await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, caller())).toEqual({ kind: 'failed' });
    // The token itself was not spent.
    expect((await p.admin(['enrollment:check', token])).code).toBe(0);
  });

  it('limits guesses per conversation: once limited, the right answers fail the same way', async () => {
    const { recovery } = p.host.app.services;
    const { token } = await newPatient();
    const c = caller();
    for (let i = 0; i < 5; i += 1) {
      expect(await recovery.redeemEnrollmentToken({ token: `WRONG${i}`, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, c)).toEqual({ kind: 'failed' });
    }
    expect(await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, c)).toEqual({ kind: 'failed' });
    expect((await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, caller())).kind).toBe('link');
  });

  it('username taken (any case) and policy failures are rejected per field; nothing is created', async () => {
    const { recovery, directory } = p.host.app.services;
    const { id, token } = await newPatient();
    const out = await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, caller());
    const link = linkToken((out as { url: string }).url);
    expect(await recovery.checkUsername('MGonzalez78', caller())).toBe('not-available');
    expect(await recovery.checkUsername('short', caller())).toBe('invalid');
    expect(await recovery.checkUsername(`free-name-${seq}`, caller())).toBe('ok');

    const taken = await recovery.createAccount(form(link, 'MGONZALEZ78'));
    expect(taken).toEqual({ kind: 'rejected', problems: { username: 'not-available' } });
    const weak = await recovery.createAccount(form(link, `dana${seq}x`, { password: 'whitfield', confirm: 'other', email: 'not-an-email' }));
    expect(weak.kind).toBe('rejected');
    const problems = (weak as unknown as { problems: Record<string, unknown> }).problems;
    expect(problems.password).toMatchObject({ ok: false });
    expect(problems.confirm).toBe('mismatch');
    expect(problems.email).toBe('invalid');
    expect(problems.username).toBeUndefined();
    const sameQ = await recovery.createAccount(form(link, `dana${seq}x`, { questions: [{ question: Q[0], answer: 'a' }, { question: Q[0], answer: 'b' }] }));
    expect(sameQ).toEqual({ kind: 'rejected', problems: { questions: 'choose-two-different' } });
    const offPool = await recovery.createAccount(form(link, `dana${seq}x`, { questions: [{ question: 'Favourite colour?', answer: 'a' }, { question: Q[1], answer: 'b' }] }));
    expect(offPool).toEqual({ kind: 'rejected', problems: { questions: 'choose-two-different' } });
    expect(await directory.getAccountForPatient(id)).toBeNull();
    // The link still works after rejections.
    expect(await recovery.checkEnrollLink(link)).toEqual({ ok: true });
  });

  it('refuses an expired link and a superseded one', async () => {
    const { recovery } = p.host.app.services;
    const { id } = await newPatient();
    const past = new RedisTokenService({ redis: p.host.redis, keys: new Keys(p.host.prefix), serverSecret: p.host.config.serverSecret, now: () => Date.now() - 16 * 60_000 });
    const { token: expired } = await past.issueEnrollLink(id, { ttlSeconds: 15 * 60 });
    expect(await recovery.checkEnrollLink(expired)).toEqual({ ok: false, problem: 'expired' });
    expect(await recovery.createAccount(form(expired, `exp${seq}xx`))).toEqual({ kind: 'link-problem', problem: 'expired' });
    const { token: older } = await p.host.app.services.tokens.issueEnrollLink(id, { ttlSeconds: 900 });
    await p.host.app.services.tokens.issueEnrollLink(id, { ttlSeconds: 900 });
    expect(await recovery.createAccount(form(older, `old${seq}xxx`))).toEqual({ kind: 'link-problem', problem: 'revoked' });
    expect(await recovery.createAccount(form('nonsense', `old${seq}xxx`))).toEqual({ kind: 'link-problem', problem: 'unknown' });
  });

  it('an email given at sign-up gets a verification link that works once and makes it the verified email', async () => {
    const { recovery, directory } = p.host.app.services;
    const { token } = await newPatient();
    const out = await recovery.redeemEnrollmentToken({ token, lastName: 'Whitfield', dateOfBirth: '1980-06-15' }, caller());
    const link = linkToken((out as { url: string }).url);
    const since = p.smtp.messages.length;
    const username = `dverify${seq}`;
    expect(await recovery.createAccount(form(link, username, { email: 'dana.w@example.org' }))).toMatchObject({ kind: 'created', verificationSent: true });
    expect((await directory.findByUsername(username))?.account.verifiedEmail).toBeUndefined();
    const mail = await p.smtp.waitFor(p.mailTo('dana.w@example.org', since));
    const m = /\/enroll\/verify\?token=([A-Za-z0-9_%-]+)/.exec(mail.text ?? '');
    expect(m).not.toBeNull();
    const verifyToken = decodeURIComponent(m![1]!);
    expect(await recovery.verifyEmail(verifyToken)).toBe('verified');
    expect((await directory.findByVerifiedEmail('DANA.W@example.org'))?.account.username).toBe(username);
    expect(await recovery.verifyEmail(verifyToken)).toBe('invalid');
  });

  it('enrollment:invite emails a 7-day link to the notification address; the link creates the account', async () => {
    const { recovery, directory } = p.host.app.services;
    const { id } = await newPatient('dana.invite@example.com');
    const since = p.smtp.messages.length;
    const invited = await p.admin(['enrollment:invite', id]);
    expect(invited.code).toBe(0);
    const mail = await p.smtp.waitFor(p.mailTo('dana.invite@example.com', since));
    expect(mail.text).toMatch(/7 days/);
    const m = /\/enroll\?token=([A-Za-z0-9_%-]+)/.exec(mail.text ?? '');
    const link = decodeURIComponent(m![1]!);
    expect(await recovery.createAccount(form(link, `dinvite${seq}`))).toMatchObject({ kind: 'created' });
    expect(await directory.verifyPassword(`dinvite${seq}`, 'Granite!Falls512')).toBe(true);
    expect((await p.admin(['enrollment:invite', id])).code).toBe(1); // has an account now
    expect((await p.admin(['enrollment:invite', 'P-1003'])).code).toBe(1); // has an account
  });
});

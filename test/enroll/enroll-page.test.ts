/**
 * The create-account page (issue 12) over HTTP through the host: real Redis, real mail to a real SMTP server.
 * token in chat → link → page → account → check-password → the token no longer validates; rejected forms keep
 * every field but the passwords; reused and expired links refused; email verification works once; invitation
 * email → page → account.
 */
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { Keys } from '../../services/redis';
import { RedisTokenService } from '../../services/tokens';
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { PUBLIC_BASE, startPractice, type Practice } from '../helpers/e2e';

let p: Practice;
let host: TestHost;
let seq = 0;

beforeAll(async () => {
  p = await startPractice('enroll-page');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

const Q0 = 'What was the name of your first pet?';
const Q1 = 'What street did you grow up on?';
const PW = 'Maple!Syrup2024';

async function newPatient(email?: string) {
  const id = `P-7${String(++seq).padStart(3, '0')}`;
  await host.app.services.directory.importPatients({
    patients: [{ id, firstName: 'Rosa', lastName: 'Delgado', dateOfBirth: '1991-12-01', ...(email ? { notificationEmail: email } : {}) }],
  });
  const issued = await p.admin(['enrollment:issue', id]);
  return { id, token: issued.lines[issued.lines.length - 1]! };
}

const linkIn = (text: string) => {
  const m = new RegExp(`${PUBLIC_BASE.replace(/\./g, '\\.')}/enroll\\?token=([A-Za-z0-9_%-]+)`).exec(text);
  if (!m) throw new Error(`no enroll link in: ${text}`);
  return decodeURIComponent(m[1]!);
};

async function linkFromChat(token: string): Promise<string> {
  const c = new Conversation(host);
  await c.say('I have an enrollment token');
  await c.say(token);
  await c.say('Delgado');
  return linkIn(textOf(await c.say('12/01/1991')));
}

const get = async (pathAndQuery: string) => {
  const res = await fetch(`${host.url}${pathAndQuery}`);
  return { status: res.status, html: await res.text(), headers: res.headers };
};

async function submit(fields: Record<string, string>) {
  const body = { q0: Q0, a0: 'Rex', q1: Q1, a1: 'Elm Street', password: PW, confirm: PW, email: '', ...fields };
  const res = await fetch(`${host.url}/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.status, html: await res.text() };
}

async function checkPassword(username: string, password: string): Promise<number> {
  const services: AdminServices = { ...host.app.services, sendMail: (m) => host.app.services.mailer.send(m as never) };
  return runAdmin(['accounts:check-password', username], services, { out: () => undefined, err: () => undefined, readStdin: async () => `${password}\n` });
}

describe('the create-account page', () => {
  it('token → link → page → account; check-password succeeds; the token no longer validates; the link works once', async () => {
    const { token } = await newPatient();
    const link = await linkFromChat(token);
    const page = await get(`/enroll?token=${encodeURIComponent(link)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*connect-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).toContain('/reset/assets/reset.js'); // the same live checklist script as the reset page
    expect(page.html).toMatch(/verified email lets you recover/i);
    expect(page.html).toContain(`<option>${Q1}</option>`); // the pool's questions are offered

    const username = `rdelgado${seq}`;
    const done = await submit({ token: link, username });
    expect(done.status).toBe(200);
    expect(done.html).toMatch(/account has been created/);
    expect(await checkPassword(username.toUpperCase(), PW)).toBe(0);
    expect((await p.admin(['enrollment:check', token])).code).toBe(1);

    const again = await submit({ token: link, username: `${username}b` });
    expect(again.status).toBe(410);
    expect(again.html).toMatch(/already been used/);
    expect((await get(`/enroll?token=${encodeURIComponent(link)}`)).status).toBe(410);
  });

  it('username taken and policy failures are re-shown keeping every field but the passwords', async () => {
    const { id, token } = await newPatient();
    const link = await linkFromChat(token);
    const taken = await submit({ token: link, username: 'BOBCHEN52', a0: 'Rex the dog', email: 'rosa@example.org' });
    expect(taken.status).toBe(400);
    expect(taken.html).toMatch(/not available/);
    expect(taken.html).not.toMatch(/bobchen52.*(belongs|exists)/i);
    expect(taken.html).toContain('value="BOBCHEN52"');
    expect(taken.html).toContain('value="Rex the dog"');
    expect(taken.html).toContain('value="Elm Street"');
    expect(taken.html).toContain('value="rosa@example.org"');
    expect(taken.html).toMatch(/<option selected>What street did you grow up on\?<\/option>/);
    expect(taken.html).not.toContain(PW);

    const weak = await submit({ token: link, username: `rosa${seq}abc`, password: 'delgado', confirm: 'delgado' });
    expect(weak.status).toBe(400);
    expect(weak.html).toMatch(/does not meet every rule/);
    expect(weak.html).toContain(`value="rosa${seq}abc"`);
    expect(weak.html).not.toContain('value="delgado"');
    expect(weak.html).toMatch(/data-rule="no-last-name" class="bad"/);
    expect(await host.app.services.directory.getAccountForPatient(id)).toBeNull();

    const check = async (u: string) => (await (await fetch(`${host.url}/enroll/username?u=${encodeURIComponent(u)}`)).json()) as { status: string };
    expect(await check('bobchen52')).toEqual({ status: 'not-available' });
    expect((await check('abc')).status).toBe('invalid');
    expect(await check(`free-${seq}-name`)).toEqual({ status: 'ok' });
  });

  it('refuses an expired link and an unknown one', async () => {
    const { id } = await newPatient();
    const past = new RedisTokenService({ redis: host.redis, keys: new Keys(host.prefix), serverSecret: host.config.serverSecret, now: () => Date.now() - 16 * 60_000 });
    const { token } = await past.issueEnrollLink(id, { ttlSeconds: 15 * 60 });
    const expired = await get(`/enroll?token=${encodeURIComponent(token)}`);
    expect(expired.status).toBe(410);
    expect(expired.html).toMatch(/expired/);
    expect((await submit({ token, username: `late${seq}user` })).status).toBe(410);
    expect((await get('/enroll?token=nope')).status).toBe(404);
  });

  it('an email given on the page gets a verification link that works once', async () => {
    const { token } = await newPatient();
    const link = await linkFromChat(token);
    const since = p.smtp.messages.length;
    const username = `rverify${seq}`;
    const done = await submit({ token: link, username, email: 'rosa.d@example.net' });
    expect(done.html).toMatch(/confirm your email/);
    const mail = await p.smtp.waitFor(p.mailTo('rosa.d@example.net', since));
    const m = /\/enroll\/verify\?token=([A-Za-z0-9_%-]+)/.exec(mail.text ?? '');
    const first = await get(`/enroll/verify?token=${m![1]}`);
    expect(first.status).toBe(200);
    expect((await host.app.services.directory.findByVerifiedEmail('rosa.d@example.net'))?.account.username).toBe(username);
    expect((await get(`/enroll/verify?token=${m![1]}`)).status).toBe(410);
  });

  it('invitation email → page → account', async () => {
    const { id } = await newPatient('rosa.invite@example.com');
    const since = p.smtp.messages.length;
    expect((await p.admin(['enrollment:invite', id])).code).toBe(0);
    const mail = await p.smtp.waitFor(p.mailTo('rosa.invite@example.com', since));
    const link = linkIn(mail.text ?? '');
    expect((await get(`/enroll?token=${encodeURIComponent(link)}`)).status).toBe(200);
    const username = `rinvite${seq}`;
    expect((await submit({ token: link, username })).status).toBe(200);
    expect(await checkPassword(username, PW)).toBe(0);
  });
});

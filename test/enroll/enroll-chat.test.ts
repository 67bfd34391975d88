/**
 * Enrolling from chat (issue 12) through the host: HTTP like a channel → real Redis → the create-account link
 * → the use case that creates the account → `accounts:check-password` → the token no longer validates.
 */
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { shortcut } from '../../dialogs/routing';
import { ENROLL_FAILED } from '../../dialogs/enrollDialog';
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { PUBLIC_BASE, startPractice, type Practice } from '../helpers/e2e';

let p: Practice;
let host: TestHost;
let seq = 0;

beforeAll(async () => {
  p = await startPractice('enroll-chat');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

async function newPatient() {
  const id = `P-8${String(++seq).padStart(3, '0')}`;
  await host.app.services.directory.importPatients({ patients: [{ id, firstName: 'Ola', lastName: "O'Brien", dateOfBirth: '1972-03-09' }] });
  const issued = await p.admin(['enrollment:issue', id]);
  return { id, token: issued.lines[issued.lines.length - 1]! };
}

const linkIn = (text: string) => {
  const m = new RegExp(`${PUBLIC_BASE.replace(/\./g, '\\.')}/enroll\\?token=([A-Za-z0-9_%-]+)`).exec(text);
  if (!m) throw new Error(`no enroll link in: ${text}`);
  return decodeURIComponent(m[1]!);
};

describe('routing', () => {
  it.each(['I have an enrollment token', 'I want to sign up and the office gave me a code', 'the office gave me a code to sign up', 'got my enrollment code'])(
    '"%s" starts enroll-with-token',
    (text) => expect(shortcut(text)).toEqual({ kind: 'flow', flow: 'enroll-with-token' }),
  );
  it.each(["I don't have an enrollment token", "my enrollment token doesn't work", 'I lost my enrollment code', 'I have my password reset token'])(
    '"%s" does not',
    (text) => expect(shortcut(text)).not.toEqual({ kind: 'flow', flow: 'enroll-with-token' }),
  );
});

describe('enroll with a token in chat', () => {
  it('token → last name → DOB → link → account; check-password succeeds; the token no longer validates', async () => {
    const { token } = await newPatient();
    const c = new Conversation(host);
    expect(textOf(await c.say('I have an enrollment token'))).toMatch(/type the token/i);
    expect(textOf(await c.say(token.toLowerCase()))).toMatch(/last name/i);
    expect(textOf(await c.say('obrien'))).toMatch(/date of birth/i);
    const reply = textOf(await c.say('3/9/1972'));
    expect(reply).toMatch(/15 minutes/);
    const link = linkIn(reply);
    const username = `obrien${seq}x`;
    expect(await host.app.services.recovery.createAccount({
      link,
      username,
      password: 'Harbor!Lights77',
      confirm: 'Harbor!Lights77',
      questions: [
        { question: 'What was your first job?', answer: 'paper route' },
        { question: 'What is your favorite book?', answer: 'Dune' },
      ],
    })).toMatchObject({ kind: 'created' });
    const services: AdminServices = { ...host.app.services, sendMail: (m) => host.app.services.mailer.send(m as never) };
    const code = await runAdmin(['accounts:check-password', username.toUpperCase()], services, { out: () => undefined, err: () => undefined, readStdin: async () => 'Harbor!Lights77\n' });
    expect(code).toBe(0);
    expect((await p.admin(['enrollment:check', token])).code).toBe(1);
  });

  it('a wrong token, last name or date of birth gets one uniform reply that never says which part was wrong', async () => {
    const { token } = await newPatient();
    const replies: string[] = [];
    for (const [t, name, dob] of [
      ['ABCDEFGHJK23', "O'Brien", '03/09/1972'],
      [token, 'Bryant', '03/09/1972'],
      [token, "O'Brien", '03/10/1972'],
    ]) {
      const c = new Conversation(host);
      await c.say('the office gave me a code to sign up');
      await c.say(t!);
      await c.say(name!);
      replies.push(textOf(await c.say(dob!)));
    }
    expect(new Set(replies).size).toBe(1);
    expect(replies[0]).toContain(ENROLL_FAILED);
    expect(replies[0]).not.toMatch(/enroll\?token=/);
    // Audited as failures (counted against the limits by the same use case).
    const events = await host.redis.xrange(`${host.prefix}:audit`, '-', '+');
    expect(events.filter(([, f]) => f.includes('enrollment-token-failed')).length).toBeGreaterThanOrEqual(3);
    // The real token still works.
    const ok = new Conversation(host);
    await ok.say('I have an enrollment token');
    await ok.say(token);
    await ok.say("o'brien");
    expect(textOf(await ok.say('03/09/1972'))).toMatch(/enroll\?token=/);
  });

  it('after five failures in one conversation even the right details get the same reply', async () => {
    const { token } = await newPatient();
    const c = new Conversation(host);
    await c.say('I have an enrollment token');
    for (let i = 0; i < 5; i += 1) {
      await c.say(`WRONGTOKEN${i}`);
      await c.say("O'Brien");
      expect(textOf(await c.say('03/09/1972'))).toContain(ENROLL_FAILED);
      await c.say('Try again');
    }
    await c.say(token);
    await c.say("O'Brien");
    const limited = textOf(await c.say('03/09/1972'));
    expect(limited).toContain(ENROLL_FAILED);
    expect(limited).not.toMatch(/enroll\?token=/);
  });
});

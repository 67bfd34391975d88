/**
 * No PHI at rest or in logs: a practice's worth of conversations (every flow, with patients volunteering
 * details), then a scan of the host's logs (at debug level) and of every stored conversation state for any
 * token, password, security answer, date of birth, name or email. Self-contained: it makes its own traffic.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { waitForMail } from '../helpers/wait';

let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('no-phi');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

/** Every flow once, the way patients write, leaving tokens in mail and chat. */
async function practiceDay(): Promise<void> {
  // Username recovery by notification email, with details volunteered up front.
  const u = new Conversation(host);
  await u.say('hi my name is Maria Gonzalez born 04/12/1978, I forgot my username');
  await u.say('yes');
  await u.say('maria.gonzalez@example.com');
  await u.say('Gonzalez');
  await u.say('04/12/1978');

  // Reset by email, then the page.
  const e = new Conversation(host);
  await p.startFlow(e, 'I need to reset my password');
  const since = p.smtp.messages.length;
  await e.say('maria.gonzalez@example.com');
  const [mail] = await waitForMail(p.smtp, p.resetMailTo('maria.gonzalez@example.com', since));
  expect((await p.submitReset(p.linkIn(mail.text ?? '').token, 'Bright#Lantern77')).status).toBe(200);

  // Security questions → link in chat → page.
  const q = new Conversation(host);
  await p.startFlow(q, 'reset my password');
  await q.say("I don't have an email");
  await q.say('Answer my security questions');
  await q.say('arahman90');
  await q.say('Lincoln Elementary');
  const link = textOf(await q.say('Things Fall Apart'));
  expect((await p.submitReset(p.linkIn(link).token, 'Velvet$Harbor204')).status).toBe(200);

  // Practice token → link in chat → page.
  const issued = await p.admin(['tokens:issue-reset', 'salvarez85']);
  const t = new Conversation(host);
  await t.say('I have my password reset token');
  await t.say('salvarez85');
  const tokenLink = textOf(await t.say(issued.lines[issued.lines.length - 1]));
  expect((await p.submitReset(p.linkIn(tokenLink).token, 'Granite!Falls512')).status).toBe(200);

  // A practice request with a contact typed in chat.
  const r = new Conversation(host);
  await p.startFlow(r, "my enrollment token isn't working");
  await r.say('Linh');
  await r.say('Nguyen');
  await r.say('09/30/2001');
  await r.say('typed-in-chat@example.com');
  await p.mailSettled();
}

describe('no PHI at rest or in logs', () => {
  it('keeps no PHI in conversation state while a flow waits, even what the patient volunteers', async () => {
    const c = new Conversation(host);
    const stateOf = async () => ((await host.redis.hget(`${host.prefix}:{conv:webchat/${c.id}}:state`, 'doc')) ?? '').toLowerCase();
    const said = [
      'hi my name is Maria Gonzalez born 04/12/1978, I forgot my username',
      'yes', // the date of birth in the question starts the notification-email path directly
      'maria.gonzalez@example.com',
      'Gonzalez',
    ];
    for (const text of said) {
      await c.say(text);
      const state = await stateOf();
      expect(state).toMatch(/"(dialogstate|session)"/); // the state was read (an offer pending, or a flow waiting)
      for (const secret of ['04/12/1978', '1978-04-12', 'maria.gonzalez@example.com', 'gonzalez', 'maria']) {
        expect({ after: text, secret, inState: state.includes(secret) }).toEqual({ after: text, secret, inState: false });
      }
    }
    expect(textOf(await c.say('04/12/1978'))).toMatch(/If that address is on an account/);
  });

  it('finds no token, password, answer, date of birth or email in logs or conversation state', async () => {
    await practiceDay();
    const secrets: string[] = [];
    for (const patient of DEMO.patients) {
      const dob = patient.dateOfBirth;
      secrets.push(dob, patient.lastName, `${dob.slice(5, 7)}/${dob.slice(8)}/${dob.slice(0, 4)}`);
      if (patient.notificationEmail) secrets.push(patient.notificationEmail);
      if (patient.account) {
        secrets.push(patient.account.password, ...patient.account.securityQuestions.map((q) => q.answer));
        if (patient.account.verifiedEmail) secrets.push(patient.account.verifiedEmail);
      }
    }
    secrets.push('Bright#Lantern77', 'Velvet$Harbor204', 'Granite!Falls512', 'typed-in-chat@example.com', 'lincoln elementary');
    // Every token that was mailed.
    for (const m of p.smtp.messages) {
      const link = /token=([A-Za-z0-9_%-]+)/.exec(m.text ?? '');
      if (link) secrets.push(decodeURIComponent(link[1]));
    }
    const meaningful = secrets.filter((s) => s.length >= 6); // shorter strings can occur by chance in sealed (random) values
    const stateKeys = await host.redis.keys(`${host.prefix}:{conv:*`);
    expect(stateKeys.length).toBeGreaterThanOrEqual(6);
    const state = (await Promise.all(stateKeys.map((k) => host.redis.hget(k, 'doc')))).join('\n').toLowerCase();
    const logs = host.logs.join('\n').toLowerCase();
    expect(logs).toContain('"msg":"routed message"'); // debug-level logs of every turn were captured
    for (const secret of meaningful) {
      expect({ secret, inLogs: logs.includes(secret.toLowerCase()) }).toEqual({ secret, inLogs: false });
      expect({ secret, inState: state.includes(secret.toLowerCase()) }).toEqual({ secret, inState: false });
    }
  });
});

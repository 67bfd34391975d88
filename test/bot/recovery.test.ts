/**
 * The self-service flows end to end: chat over HTTP like a channel → real Redis → real mail through the
 * outbox to a real SMTP server in this process → the reset page over HTTP → the stored password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buttonsOf, Conversation, startHost, textOf, type TestHost } from '../helpers/host';
import { startTestSmtp, type ParsedMail, type TestSmtp } from '../helpers/smtp';
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { SECURITY_QUESTION_POOL } from '../../services/directory';
import { accountLimitKey } from '../../services/recovery';
import { forgetLimit } from '../helpers/limits';
import { sha256 } from '../../services/crypto';
import { Keys } from '../../services/redis';

const PUBLIC_BASE = 'https://help.lakeside.test';
const NOTIFY = 'frontdesk@lakeside.test';
const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'demo', 'accounts.json'), 'utf8')) as {
  patients: Array<{ id: string; lastName: string; dateOfBirth: string; notificationEmail?: string; account?: { username: string; password: string; verifiedEmail?: string; securityQuestions: Array<{ answer: string }> } }>;
};

let host: TestHost;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await startTestSmtp();
  host = await startHost(
    'recovery',
    13,
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Lakeside Clinic <no-reply@lakeside.test>',
      PRACTICE_NAME: 'Lakeside Clinic',
      PRACTICE_NOTIFY_EMAIL: NOTIFY,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      SERVER_SECRET: 'test-secret-0123456789-0123456789-abcdef',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_CONVERSATION_PER_MINUTE: '1000',
      RATE_LIMIT_ACCOUNT_PER_HOUR: '1000',
      RATE_LIMIT_IP_PER_MINUTE: '1000',
    },
    { mailer: { retry: { attempts: 20, baseDelayMs: 200, maxDelayMs: 1000 } } },
  );
  await host.app.services.directory.importPatients(FIXTURE);
}, 60000);

afterAll(async () => {
  await host.stop();
  await smtp.stop();
});

const mailTo = (to: string, since = 0) => (m: ParsedMail) =>
  smtp.messages.indexOf(m) >= since && (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a?.text.toLowerCase().includes(to.toLowerCase()));
const resetMailTo = (to: string, since = 0) => (m: ParsedMail) => mailTo(to, since)(m) && /reset\?token=/.test(m.text ?? '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The reset link in a mail or chat text, pointed at the test host (links use PUBLIC_BASE_URL). */
function linkIn(text: string): { url: string; token: string } {
  const m = new RegExp(`${PUBLIC_BASE.replace(/\./g, '\\.')}/reset\\?token=([A-Za-z0-9_%-]+)`).exec(text);
  if (!m) throw new Error('no reset link found');
  return { url: `${host.url}/reset?token=${m[1]}`, token: decodeURIComponent(m[1]) };
}

async function submitReset(token: string, password: string, confirm = password): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${host.url}/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password, confirm }).toString(),
  });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** Runs an admin CLI command in-process against the host's own services (mail goes through its outbox). */
async function admin(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const services: AdminServices = { ...host.app.services, sendMail: (m) => host.app.services.mailer.send(m as never) };
  const code = await runAdmin(argv, services, { out: (l) => lines.push(l), err: () => undefined, readStdin: async () => '' });
  return { code, lines };
}

/** Starts a flow the way a patient does: ask, then accept the offer. */
async function startFlow(c: Conversation, question: string): Promise<string> {
  const offer = await c.say(question);
  expect(buttonsOf(offer)).toEqual(['Yes', 'No']);
  return textOf(await c.say('yes'));
}

describe('username recovery', () => {
  it('emails the username to the verified email, never showing it in chat', async () => {
    const c = new Conversation(host);
    expect(await startFlow(c, 'I forgot my username')).toMatch(/verified email address/i);
    const since = smtp.messages.length;
    const reply = textOf(await c.say('Maria.Gonzalez@example.com'));
    expect(reply).toMatch(/If that address is on an account, we've sent the username/);
    expect(reply).not.toMatch(/mgonzalez78/i);
    const mail = await smtp.waitFor(mailTo('maria.gonzalez@example.com', since));
    expect(mail.text).toContain('mgonzalez78');
    expect(mail.html).toContain('Lakeside Clinic');
  });

  it('gives the same reply and sends nothing for an unknown email', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'forgot my user name');
    const since = smtp.messages.length;
    const reply = textOf(await c.say('nobody-here@example.com'));
    expect(reply).toMatch(/If that address is on an account, we've sent the username/);
    // Decided before the reply: recorded as no match, and nothing was queued for this conversation.
    const ref = sha256(`webchat/${c.id}`).slice(0, 16);
    const events = (await host.app.services.audit.tail(500)).filter((e) => e.conversationRef === ref);
    expect(events.map((e) => e.type)).toEqual(['username-recovery-no-match']);
    await sleep(1500);
    expect(smtp.messages.slice(since).filter(mailTo('nobody-here@example.com'))).toHaveLength(0);
  });

  it('uses notification email + last name + date of birth, re-asking an invalid date', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    expect(textOf(await c.say("I don't have a verified email"))).toMatch(/notification email/i);
    expect(textOf(await c.say('jim.oconnor@example.net'))).toMatch(/last name/i);
    expect(textOf(await c.say("o'connor"))).toMatch(/mm\/dd\/yyyy/);
    expect(textOf(await c.say('13/45/1965'))).toMatch(/isn't a date/i);
    const since = smtp.messages.length;
    const reply = textOf(await c.say('11/03/1965'));
    expect(reply).toMatch(/If that address is on an account/);
    expect(reply).not.toMatch(/1965|connor|JamesOC65/i);
    const mail = await smtp.waitFor(mailTo('jim.oconnor@example.net', since));
    expect(mail.text).toContain('JamesOC65');
  });

  it('sends nothing when the date of birth is wrong, with the same reply', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    await c.say('1'); // a choice's number works in place of its button
    const since = smtp.messages.length;
    await c.say('jim.oconnor@example.net');
    await c.say("O'Connor");
    expect(textOf(await c.say('11/04/1965'))).toMatch(/If that address is on an account/);
    await sleep(1500);
    expect(smtp.messages.slice(since).filter(mailTo('jim.oconnor@example.net'))).toHaveLength(0);
  });

  it('with no email at all, gives the practice contact and offers a person', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    await c.say("I don't have a verified email");
    const reply = await c.say("I don't have any email");
    expect(textOf(reply)).toMatch(/call \(555\) 010-0100/);
    expect(textOf(reply)).toMatch(/A person on the Lakeside Clinic team can help you/);
  });

  it('routes a new question typed in place of an answer instead of re-asking', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    const reply = await c.say('actually how do I use the portal on my iphone');
    expect(textOf(reply)).toMatch(/separate account/i);
  });

  it('starts at the notification email when the patient already said the email was never verified', async () => {
    const c = new Conversation(host);
    expect(await startFlow(c, 'forgot my username and my email was never verified')).toMatch(/notification email/i);
  });

  it('replies identically (text and buttons) for an existing and a non-existing account', async () => {
    const run = async (email: string) => {
      const c = new Conversation(host);
      await startFlow(c, 'I forgot my username');
      return c.say(email);
    };
    const known = await run('maria.gonzalez@example.com');
    const unknown = await run('not-a-patient@example.com');
    expect(JSON.stringify(unknown.map((a) => [a.text, a.suggestedActions]))).toBe(JSON.stringify(known.map((a) => [a.text, a.suggestedActions])));
  });
});

describe('password reset by emailed link', () => {
  it('emails a one-time link; the page enforces the policy, changes the password and confirms by email', async () => {
    const c = new Conversation(host);
    expect(await startFlow(c, 'I need to reset my password')).toMatch(/verified account email or your username/i);
    const since = smtp.messages.length;
    expect(textOf(await c.say('mgonzalez78'))).toMatch(/emailed a link to reset your password/);
    const mail = await smtp.waitFor(resetMailTo('maria.gonzalez@example.com', since));
    const { url, token } = linkIn(mail.text ?? '');

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain(`action="${PUBLIC_BASE}/reset"`);
    expect(html).toMatch(/✗<\/span>At least one number/);
    expect(html).toMatch(/class="pending"><span class="mark">•<\/span>Not a commonly used password/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script

    const weak = await submitReset(token, 'password1');
    expect(weak.status).toBe(400);
    expect(weak.html).toMatch(/class="bad"><span class="mark">✗<\/span>Not a commonly used password/);
    expect(weak.html).toMatch(/class="ok"><span class="mark">✓<\/span>At least one number/);

    const withName = await submitReset(token, 'Gonzalez#2024x');
    expect(withName.status).toBe(400);
    expect(withName.html).toMatch(/✗<\/span>Does not contain your last name/);

    const mismatch = await submitReset(token, 'Bright#Lantern77', 'Bright#Lantern78');
    expect(mismatch.html).toMatch(/do not match/);

    const ok = await submitReset(token, 'Bright#Lantern77');
    expect(ok.status).toBe(200);
    expect(ok.html).toMatch(/Your password has been changed/);
    expect(await host.app.services.directory.verifyPassword('mgonzalez78', 'Bright#Lantern77')).toBe(true);
    expect(await host.app.services.directory.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(false);
    const notice = await smtp.waitFor((m) => mailTo('maria.gonzalez@example.com', since)(m) && /changed/i.test(m.subject ?? ''));
    expect(notice.text).toMatch(/changed/i);

    const reused = await fetch(url);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toMatch(/already been used/);
    const resubmit = await submitReset(token, 'Another#Lantern88');
    expect(resubmit.html).toMatch(/already been used/);
  });

  it('revokes an older link when a newer one is sent, and refuses unknown tokens', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'reset my password');
    let since = smtp.messages.length;
    await c.say('sofia.alvarez@example.org');
    const first = linkIn((await smtp.waitFor(resetMailTo('sofia.alvarez@example.org', since))).text ?? '');
    const c2 = new Conversation(host);
    await startFlow(c2, 'reset my password');
    since = smtp.messages.length;
    await c2.say('salvarez85');
    const second = linkIn((await smtp.waitFor(resetMailTo('sofia.alvarez@example.org', since))).text ?? '');
    expect(second.token).not.toBe(first.token);
    const old = await fetch(first.url);
    expect(old.status).toBe(410);
    expect(await old.text()).toMatch(/replaced by a newer one/);
    expect((await fetch(second.url)).status).toBe(200);
    const bogus = await fetch(`${host.url}/reset?token=not-a-real-token`);
    expect(bogus.status).toBe(404);
    expect(await bogus.text()).toMatch(/To get a new link/);
  });

  it('expires links (short TTL stands in for 30 minutes)', async () => {
    const { token } = await host.app.services.tokens.issueResetLink('arahman90', { ttlSeconds: 1, via: 'email' });
    await sleep(1200);
    const res = await fetch(`${host.url}/reset?token=${token}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toMatch(/expired/);
  });

  it('replies identically (text and buttons) whether or not the account exists', async () => {
    const run = async (login: string) => {
      const c = new Conversation(host);
      await startFlow(c, 'reset my password');
      return c.say(login);
    };
    const known = await run('arahman90'); // exists, but has no verified email
    const unknown = await run('no-such-user-42');
    const withEmail = await run('nobody@nowhere.example');
    const shape = (r: typeof known) => JSON.stringify(r.map((a) => [a.text, a.suggestedActions]));
    expect(shape(unknown)).toBe(shape(known));
    expect(shape(withEmail)).toBe(shape(known));
  });

  it('sends at most three reset emails per account per hour, with the same reply', async () => {
    await forgetLimit(host.redis, new Keys(host.prefix), 'resetEmailsPerAccount', accountLimitKey(host.config.serverSecret, 'salvarez85'));
    const since = smtp.messages.length;
    for (let i = 0; i < 5; i += 1) {
      const c = new Conversation(host);
      await startFlow(c, 'reset my password');
      expect(textOf(await c.say('bobchen52-not-there'))).toMatch(/emailed a link/);
    }
    // JamesOC65 has no verified email: the same reply, and no mail.
    const james = new Conversation(host);
    await startFlow(james, 'reset my password');
    expect(textOf(await james.say('JamesOC65'))).toMatch(/emailed a link/);

    const account = FIXTURE.patients.find((p) => p.account?.username === 'salvarez85');
    const to = account?.account?.verifiedEmail ?? '';
    const before = smtp.messages.filter(resetMailTo(to)).length;
    for (let i = 0; i < 5; i += 1) {
      const c = new Conversation(host);
      await startFlow(c, 'reset my password');
      expect(textOf(await c.say('salvarez85'))).toMatch(/emailed a link/);
    }
    await sleep(2500);
    expect(smtp.messages.filter(resetMailTo(to)).length - before).toBe(3);
    expect(smtp.messages.slice(since).filter(mailTo('jim.oconnor@example.net'))).toHaveLength(0);
  });
});

describe('password reset by security questions', () => {
  const toQuestions = async (c: Conversation, username: string) => {
    await startFlow(c, 'reset my password');
    const ways = await c.say("I don't have an email");
    expect(buttonsOf(ways)).toContain('Answer my security questions');
    expect(textOf(await c.say('Answer my security questions'))).toMatch(/username/i);
    return textOf(await c.say(username));
  };

  it('asks both questions one at a time and shows a one-time link in chat', async () => {
    const c = new Conversation(host);
    expect(await toQuestions(c, 'arahman90')).toMatch(/Question 1 of 2: What was the name of your elementary school\?/);
    expect(textOf(await c.say('wrong school'))).toMatch(/2 tries left/);
    expect(textOf(await c.say('  LINCOLN   elementary '))).toMatch(/Question 2 of 2/);
    const reply = textOf(await c.say('things fall apart'));
    expect(reply).toMatch(/10 minutes/);
    const { token } = linkIn(reply);
    expect((await submitReset(token, 'Velvet$Harbor204')).status).toBe(200);
    expect(await host.app.services.directory.verifyPassword('arahman90', 'Velvet$Harbor204')).toBe(true);
  });

  it('locks the questions path for the account after three wrong answers, and offers the other ways', async () => {
    const c = new Conversation(host);
    await toQuestions(c, 'JamesOC65');
    await c.say('nope');
    await c.say('still wrong');
    const locked = await c.say('wrong again');
    expect(textOf(locked)).toMatch(/paused for this account for 24 hours/);
    expect(buttonsOf(locked)).toEqual(['I have a reset token', 'Ask the practice for a reset token', 'Talk to a person']);
    const again = new Conversation(host);
    expect(await toQuestions(again, 'jamesoc65')).toMatch(/paused for this account/);
    // Only this path: the account itself still works.
    expect(await host.app.services.directory.verifyPassword('JamesOC65', 'Copper&Kettle19')).toBe(true);
  });

  it('keeps the lock for every conversation: a right answer after the lock gets no link', async () => {
    const a = new Conversation(host);
    const b = new Conversation(host);
    expect(await toQuestions(a, 'salvarez85')).toMatch(/Question 1 of 2/);
    expect(await toQuestions(b, 'salvarez85')).toMatch(/Question 1 of 2/);
    await a.say('wrong');
    await a.say('wrong');
    expect(textOf(await a.say('wrong'))).toMatch(/paused/);
    const late = textOf(await b.say('Mrs. Delgado'));
    expect(late).toMatch(/paused for this account/);
    expect(late).not.toMatch(/reset\?token=/);
  });

  it('asks stable decoy questions from the same pool as real accounts for a username that does not exist', async () => {
    const first = await toQuestions(new Conversation(host), 'ghost-user-77');
    const second = await toQuestions(new Conversation(host), 'Ghost-User-77');
    expect(second).toBe(first);
    const question = /Question 1 of 2: (.+\?)/.exec(first)?.[1] ?? '';
    expect(SECURITY_QUESTION_POOL).toContain(question);
    // Accounts cannot have questions outside the pool, so an unusual question never gives one away.
    await expect(
      host.app.services.directory.importPatients({
        patients: [{ id: 'X-1', firstName: 'A', lastName: 'B', dateOfBirth: '1990-01-01', account: { username: 'oddquestion1', password: 'Plenty#Strong77', securityQuestions: [{ question: 'What is the airspeed of a swallow?', answer: 'unladen' }, { question: SECURITY_QUESTION_POOL[0], answer: 'Rex' }] } }],
      }),
    ).rejects.toThrow(/securityQuestions\[0\]\.question: must be one of the questions/);
  });
});

describe('password reset by practice token', () => {
  it('turns a valid username + practice token into a one-time link, once', async () => {
    const issued = await admin(['tokens:issue-reset', 'bobchen52']);
    expect(issued.code).toBe(0);
    const practiceToken = issued.lines[issued.lines.length - 1];
    await host.app.services.directory.setStatus('bobchen52', 'active');

    const bad = new Conversation(host);
    expect(textOf(await bad.say('I have my password reset token'))).toMatch(/username/i);
    await bad.say('bobchen52');
    const failed = await bad.say('ABCDE-FGHJK');
    expect(textOf(failed)).toMatch(/don't match a valid reset token/);

    const c = new Conversation(host);
    await c.say('I have my password reset token');
    await c.say('BobChen52');
    const reply = textOf(await c.say(practiceToken.toLowerCase()));
    const { token } = linkIn(reply);
    expect((await submitReset(token, 'Granite!Falls512')).status).toBe(200);
    expect(await host.app.services.directory.verifyPassword('bobchen52', 'Granite!Falls512')).toBe(true);

    const reuse = new Conversation(host);
    await reuse.say('I have my password reset token');
    await reuse.say('bobchen52');
    expect(textOf(await reuse.say(practiceToken))).toMatch(/don't match a valid reset token/);
  });

  it('limits token guesses per conversation: once limited, even the right token gets the same failure', async () => {
    const valid = await host.app.services.tokens.issuePracticeResetToken('mgonzalez78');
    const c = new Conversation(host);
    await c.say('I have my password reset token');
    for (let i = 0; i < 5; i += 1) {
      await c.say('mgonzalez78');
      expect(textOf(await c.say(`ABCDEFGH${i + 2}Z`))).toMatch(/don't match a valid reset token/);
      await c.say('Try again');
    }
    await c.say('mgonzalez78');
    const limited = textOf(await c.say(valid));
    expect(limited).toMatch(/don't match a valid reset token/);
    expect(limited).not.toMatch(/reset\?token=/);
    // The token itself was not spent: from another conversation it still works.
    const other = new Conversation(host);
    await other.say('I have my password reset token');
    await other.say('mgonzalez78');
    expect(textOf(await other.say(valid))).toMatch(/reset\?token=/);
  });
});

describe('practice requests', () => {
  it('files a token renewal, notifies the practice, reports status, and staff resolve it by email on file', async () => {
    const c = new Conversation(host);
    expect(await startFlow(c, "my enrollment token isn't working")).toMatch(/first name/i);
    await c.say('Linh');
    await c.say('Nguyen');
    await c.say('09/30/2001');
    const since = smtp.messages.length;
    const filed = textOf(await c.say('typed-in-chat@example.com'));
    const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0] ?? '';
    expect(requestId).toMatch(/^R-/);
    expect(filed).toMatch(/old token stops working/);
    const notice = await smtp.waitFor(mailTo(NOTIFY, since));
    expect(notice.text).toContain(requestId);
    expect(notice.text).not.toMatch(/Nguyen|2001|typed-in-chat/);

    expect(textOf(await new Conversation(host).say(`what's the status of ${requestId.toLowerCase()}`))).toMatch(/is open/);

    expect((await admin(['requests:resolve', requestId, '--patient', 'P-1005'])).code).toBe(0);
    const tokenMail = await smtp.waitFor(mailTo('linh.nguyen@example.com', since));
    const enrollment = /[2-9A-Z]{12}/.exec(tokenMail.text ?? '')?.[0] ?? '';
    expect(await host.app.services.tokens.checkEnrollmentToken(enrollment)).toEqual({ patientId: 'P-1005' });
    expect(smtp.messages.slice(since).filter(mailTo('typed-in-chat@example.com'))).toHaveLength(0);

    const status = new Conversation(host);
    await status.say('any update on my request?');
    expect(textOf(await status.say(requestId))).toMatch(/is done/);
  });

  it('re-asks a contact the request queue would refuse instead of failing', async () => {
    const c = new Conversation(host);
    await startFlow(c, "my enrollment token isn't working");
    await c.say('Linh');
    await c.say('Nguyen');
    await c.say('09/30/2001');
    expect(textOf(await c.say('linh..nguyen@example.com'))).toMatch(/email address \(name@example.com\) or a phone number/);
    expect(textOf(await c.say('(555) 010-2005'))).toMatch(/reference number is R-/);
  });

  it('does not mistake ordinary words for a request reference', async () => {
    const reply = textOf(await new Conversation(host).say('I tried to refresh the page and retyped it but still cant log in'));
    expect(reply).not.toMatch(/reference|request/i);
  });

  it('offers a reactivation request for a blocked account', async () => {
    const c = new Conversation(host);
    const answer = await c.say('my portal account got blocked');
    expect(textOf(answer)).toMatch(/un-?enroll/i);
    expect(buttonsOf(answer)).toEqual(['Yes', 'No']);
    expect(textOf(await c.say('yes'))).toMatch(/reactivate/i);
    await c.say('Robert');
    await c.say('Chen');
    await c.say('02/19/1952');
    expect(textOf(await c.say('(555) 010-2004'))).toMatch(/R-[2-9A-Z]{6}/);
    const pending = await host.app.services.requests.list({ status: 'open' });
    expect(pending.some((r) => r.kind === 'reactivation')).toBe(true);
  });
});

describe('typed answers, numbers and changes of mind', () => {
  it('a typed number picks exactly the option shown at that number', async () => {
    const c = new Conversation(host, 'sms');
    await c.say('reset my password');
    await c.say('yes');
    const menu = textOf(await c.say('no-such-user-99'));
    expect(menu).toMatch(/Reply 4 for No thanks/);
    expect(textOf(await c.say('4'))).toMatch(/anything else/i);
    const d = new Conversation(host, 'sms');
    await d.say('I have my password reset token');
    await d.say('mgonzalez78');
    expect(textOf(await d.say('ABCDE-FGHJK'))).toMatch(/Reply 2 for Ask the practice for a reset token/);
    expect(textOf(await d.say('2'))).toMatch(/first name/i);
  });

  it('accepts a choice typed without its apostrophe', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    expect(textOf(await c.say('I dont have a verified email'))).toMatch(/notification email/i);
  });

  it('answers security questions regardless of punctuation, and "I don\'t remember" costs no try', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'reset my password');
    await c.say("I don't have an email");
    await c.say('Answer my security questions');
    expect(textOf(await c.say('mgonzalez78'))).toMatch(/first pet/);
    expect(textOf(await c.say('biscuit.'))).toMatch(/Question 2 of 2/);
    expect(textOf(await c.say('SAN ANTONIO!'))).toMatch(/reset\?token=/);

    const d = new Conversation(host);
    await startFlow(d, 'reset my password');
    await d.say("I don't have an email");
    await d.say('Answer my security questions');
    await d.say('arahman90');
    const other = await d.say("I don't remember");
    expect(buttonsOf(other)).toEqual(['I have a reset token', 'Ask the practice for a reset token', 'Talk to a person']);
  });

  it('routes a question typed at a security question without counting it as a wrong answer', async () => {
    const c = new Conversation(host);
    await startFlow(c, 'reset my password');
    await c.say("I don't have an email");
    await c.say('Answer my security questions');
    await c.say('ghost-user-12');
    expect(textOf(await c.say('how do I use the portal on my tablet'))).toMatch(/separate account/i);
    const again = new Conversation(host);
    await startFlow(again, 'reset my password');
    await again.say("I don't have an email");
    await again.say('Answer my security questions');
    await again.say('ghost-user-12');
    expect(textOf(await again.say('not it'))).toMatch(/2 tries left/);
  });

  it('takes "no, I don\'t have an email" as the whole message, not just "no"', async () => {
    const c = new Conversation(host);
    await c.say('I forgot my password');
    const reply = textOf(await c.say("no I dont have an email"));
    expect(reply).not.toMatch(/^No problem\. Is there anything else/);
    expect(reply.length).toBeGreaterThan(40);
  });

  it('does not file a request with a question typed as a name', async () => {
    const c = new Conversation(host);
    await startFlow(c, "my enrollment token isn't working");
    const reply = textOf(await c.say('how do I reset my password'));
    expect(reply).toMatch(/reset your password/i);
    expect(reply).not.toMatch(/last name/i);
  });
});

describe('mail outage', () => {
  it('delays mail while SMTP is down and delivers it exactly once when it is back', async () => {
    const port = smtp.port;
    await smtp.stop();
    const c = new Conversation(host);
    await startFlow(c, 'I forgot my username');
    const reply = textOf(await c.say('sofia.alvarez@example.org'));
    expect(reply).toMatch(/we've sent the username/); // the chat did not wait on SMTP
    await sleep(2000);
    // While it waits in the Redis outbox, the mail's recipient and username are sealed, not readable.
    const keys = await host.redis.keys(`${host.prefix}:*outbox*`);
    expect(keys.length).toBeGreaterThan(0);
    const stored = (
      await Promise.all(keys.map(async (k) => ((await host.redis.type(k)) === 'hash' ? JSON.stringify(await host.redis.hgetall(k)) : '')))
    ).join('\n');
    expect(stored).toContain('sealed');
    expect(stored).not.toMatch(/sofia\.alvarez|salvarez85/i);
    smtp = await startTestSmtp(port);
    const mail = await smtp.waitFor(mailTo('sofia.alvarez@example.org'), 20000);
    expect(mail.text).toContain('salvarez85');
    await sleep(2000);
    expect(smtp.messages.filter(mailTo('sofia.alvarez@example.org'))).toHaveLength(1);
  });
});

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
      expect(state.length).toBeGreaterThan(0);
      for (const secret of ['04/12/1978', '1978-04-12', 'maria.gonzalez@example.com', 'gonzalez', 'maria']) {
        expect({ after: text, secret, inState: state.includes(secret) }).toEqual({ after: text, secret, inState: false });
      }
    }
    expect(textOf(await c.say('04/12/1978'))).toMatch(/If that address is on an account/);
  });

  it('finds no token, password, answer, date of birth or email in logs or conversation state', async () => {
    const secrets: string[] = [];
    for (const p of FIXTURE.patients) {
      secrets.push(p.dateOfBirth, p.lastName, `${p.dateOfBirth.slice(5, 7)}/${p.dateOfBirth.slice(8)}/${p.dateOfBirth.slice(0, 4)}`);
      if (p.notificationEmail) secrets.push(p.notificationEmail);
      if (p.account) {
        secrets.push(p.account.password, ...p.account.securityQuestions.map((q) => q.answer));
        if (p.account.verifiedEmail) secrets.push(p.account.verifiedEmail);
      }
    }
    secrets.push('Bright#Lantern77', 'Velvet$Harbor204', 'Granite!Falls512', 'typed-in-chat@example.com', 'lincoln elementary');
    // Every token that was mailed or shown.
    for (const m of smtp.messages) {
      const link = /token=([A-Za-z0-9_%-]+)/.exec(m.text ?? '');
      if (link) secrets.push(decodeURIComponent(link[1]));
    }
    const meaningful = secrets.filter((s) => s.length >= 6); // shorter strings can occur by chance in sealed (random) values
    const stateKeys = await host.redis.keys(`${host.prefix}:{conv:*`);
    expect(stateKeys.length).toBeGreaterThan(10);
    const state = (await Promise.all(stateKeys.map((k) => host.redis.hget(k, 'doc').catch(() => null)))).join('\n').toLowerCase();
    const logs = host.logs.join('\n').toLowerCase();
    expect(host.logs.length).toBeGreaterThan(50);
    for (const secret of meaningful) {
      expect({ secret, inLogs: logs.includes(secret.toLowerCase()) }).toEqual({ secret, inLogs: false });
      expect({ secret, inState: state.includes(secret.toLowerCase()) }).toEqual({ secret, inState: false });
    }
  });
});

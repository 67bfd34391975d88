/**
 * Username recovery: by verified email, or notification email + last name + date of birth.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { sha256 } from '../../services/crypto';
import { expectNoMailAfter } from '../helpers/wait';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('recover-username');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('username recovery', () => {
  it('emails the username to the verified email, never showing it in chat', async () => {
    const c = new Conversation(host);
    expect(await p.startFlow(c, 'I forgot my username')).toMatch(/verified email address/i);
    const since = p.smtp.messages.length;
    const reply = textOf(await c.say('Maria.Gonzalez@example.com'));
    expect(reply).toMatch(/If that address is on an account, we've sent the username/);
    expect(reply).not.toMatch(/mgonzalez78/i);
    const mail = await p.smtp.waitFor(p.mailTo('maria.gonzalez@example.com', since));
    expect(mail.text).toContain('mgonzalez78');
    expect(mail.html).toContain('Lakeside Clinic');
  });

  it('gives the same reply and sends nothing for an unknown email', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'forgot my user name');
    const since = p.smtp.messages.length;
    const reply = textOf(await c.say('nobody-here@example.com'));
    expect(reply).toMatch(/If that address is on an account, we've sent the username/);
    // Decided before the reply: recorded as no match, and nothing was queued for this conversation.
    const ref = sha256(`webchat/${c.id}`).slice(0, 16);
    const events = (await host.app.services.audit.tail(500)).filter((e) => e.conversationRef === ref);
    expect(events.map((e) => e.type)).toEqual(['username-recovery-no-match']);
    await expectNoMailAfter(p.smtp, p.mailTo('nobody-here@example.com', since), p.mailSettled);
  });

  it('uses notification email + last name + date of birth, re-asking an invalid date', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    expect(textOf(await c.say("I don't have a verified email"))).toMatch(/notification email/i);
    expect(textOf(await c.say('jim.oconnor@example.net'))).toMatch(/last name/i);
    expect(textOf(await c.say("o'connor"))).toMatch(/mm\/dd\/yyyy/);
    expect(textOf(await c.say('13/45/1965'))).toMatch(/isn't a date/i);
    const since = p.smtp.messages.length;
    const reply = textOf(await c.say('11/03/1965'));
    expect(reply).toMatch(/If that address is on an account/);
    expect(reply).not.toMatch(/1965|connor|JamesOC65/i);
    const mail = await p.smtp.waitFor(p.mailTo('jim.oconnor@example.net', since));
    expect(mail.text).toContain('JamesOC65');
  });

  it('sends nothing when the date of birth is wrong, with the same reply', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    await c.say('1'); // a choice's number works in place of its button
    const since = p.smtp.messages.length;
    await c.say('jim.oconnor@example.net');
    await c.say("O'Connor");
    expect(textOf(await c.say('11/04/1965'))).toMatch(/If that address is on an account/);
    await expectNoMailAfter(p.smtp, p.mailTo('jim.oconnor@example.net', since), p.mailSettled);
  });

  it('with no email at all, gives the practice contact and offers a person', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    await c.say("I don't have a verified email");
    const reply = await c.say("I don't have any email");
    expect(textOf(reply)).toMatch(/call \(555\) 010-0100/);
    expect(textOf(reply)).toMatch(/A person on the Lakeside Clinic team can help you/);
  });

  it('routes a new question typed in place of an answer instead of re-asking', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    const reply = await c.say('actually how do I use the portal on my iphone');
    expect(textOf(reply)).toMatch(/separate account/i);
  });

  it('starts at the notification email when the patient already said the email was never verified', async () => {
    const c = new Conversation(host);
    expect(await p.startFlow(c, 'forgot my username and my email was never verified')).toMatch(/notification email/i);
  });

  it('replies identically (text and buttons) for an existing and a non-existing account', async () => {
    const run = async (email: string) => {
      const c = new Conversation(host);
      await p.startFlow(c, 'I forgot my username');
      return c.say(email);
    };
    const known = await run('maria.gonzalez@example.com');
    const unknown = await run('not-a-patient@example.com');
    expect(JSON.stringify(unknown.map((a) => [a.text, a.suggestedActions]))).toBe(JSON.stringify(known.map((a) => [a.text, a.suggestedActions])));
  });
});

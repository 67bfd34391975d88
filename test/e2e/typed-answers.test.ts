/**
 * Typed answers, numbers and changes of mind across the flows.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('typed-answers');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

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
    await p.startFlow(c, 'I forgot my username');
    expect(textOf(await c.say('I dont have a verified email'))).toMatch(/notification email/i);
  });

  it('answers security questions regardless of punctuation, and "I don\'t remember" costs no try', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'reset my password');
    await c.say("I don't have an email");
    await c.say('Answer my security questions');
    expect(textOf(await c.say('mgonzalez78'))).toMatch(/first pet/);
    expect(textOf(await c.say('biscuit.'))).toMatch(/Question 2 of 2/);
    expect(textOf(await c.say('SAN ANTONIO!'))).toMatch(/reset\?token=/);

    const d = new Conversation(host);
    await p.startFlow(d, 'reset my password');
    await d.say("I don't have an email");
    await d.say('Answer my security questions');
    await d.say('arahman90');
    const other = await d.say("I don't remember");
    expect(buttonsOf(other)).toEqual(['I have a reset token', 'Ask the practice for a reset token', 'Talk to a person']);
  });

  it('routes a question typed at a security question without counting it as a wrong answer', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'reset my password');
    await c.say("I don't have an email");
    await c.say('Answer my security questions');
    await c.say('ghost-user-12');
    expect(textOf(await c.say('how do I use the portal on my tablet'))).toMatch(/separate account/i);
    const again = new Conversation(host);
    await p.startFlow(again, 'reset my password');
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
    expect(reply).toMatch(/\bemail address\b/i); // the whole message was answered, as a question about email
  });

  it('does not file a request with a question typed as a name', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, "my enrollment token isn't working");
    const reply = textOf(await c.say('how do I reset my password'));
    expect(reply).toMatch(/reset your password/i);
    expect(reply).not.toMatch(/last name/i);
  });
});

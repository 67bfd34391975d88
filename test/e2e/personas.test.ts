/**
 * Personas (issue 7), each a transcript through the real host with the demo practice: the key replies and the
 * end result (mail captured by the practice's SMTP server, requests in the practice queue).
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { waitForMail } from '../helpers/wait';
import { loadPracticeKnowledgeBase } from '../../dialogs/faq';

let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('personas');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

describe('personas', () => {
  it('elderly patient with only a notification email recovers the username (date typed loosely)', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    expect(textOf(await c.say("I don't have a verified email"))).toMatch(/notification email/i);
    const since = p.smtp.messages.length;
    expect(textOf(await c.say('jim.oconnor@example.net'))).toMatch(/last name/i);
    expect(textOf(await c.say("O'Connor"))).toMatch(/date of birth/i);
    const done = textOf(await c.say('Nov 3 1965'));
    expect(done).not.toMatch(/1965|JamesOC65/);
    const [mail] = await waitForMail(p.smtp, p.mailTo('jim.oconnor@example.net', since));
    expect(mail.text).toContain('JamesOC65');
  });

  it('caregiver: a parent without email who knows the username gets the right answer directly', async () => {
    const c = new Conversation(host);
    const replies = await c.say('my mother forgot her password, she has no email, she knows her username');
    expect(textOf(replies)).not.toMatch(/Did you mean/);
    expect(textOf(replies)).toMatch(/security questions/);
    expect(buttonsOf(replies)).toEqual(['Yes', 'No']);
    const helping = await new Conversation(host).say("I'm helping my dad, he forgot his username");
    expect(textOf(helping)).toMatch(/Forgot username/);
  });

  it('angry patient with an unenrolled account: frustration acknowledged, reactivation filed, response time told', async () => {
    const c = new Conversation(host);
    const first = textOf(await c.say('THIS IS RIDICULOUS, my account is blocked!!!'));
    expect(first).toMatch(/sorry this has been frustrating/i);
    expect(first).toMatch(/re-activate|reactivat/i);
    expect(textOf(await c.say('yes'))).toMatch(/first name/i);
    expect(textOf(await c.say('Robert Chen'))).toMatch(/date of birth/i);
    expect(textOf(await c.say('02/19/1952'))).toMatch(/email address or phone/i);
    const filed = textOf(await c.say('robert.chen@example.org'));
    const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0];
    expect(requestId).toBeDefined();
    expect(filed).toMatch(/usually within one business day/);
    expect(textOf(await c.say('how long will that take?'))).toMatch(/answers requests usually within one business day/);
    const requests = await host.app.services.requests.list();
    expect(requests.find((r) => r.requestId === requestId)).toMatchObject({ kind: 'reactivation', lastName: 'Chen' });
  });

  it('SMS shorthand user: short GSM-7 replies, numbered choices, MORE for the full answer, reset link mailed', async () => {
    const c = new Conversation(host, 'sms');
    const first = await c.say('cant login 2 portal forgot pw');
    for (const r of first) {
      expect((r.text ?? '').length).toBeLessThanOrEqual(459);
      expect(r.text ?? '').toMatch(GSM7);
    }
    expect(textOf(first)).toMatch(/Reply YES or NO/);
    expect(textOf(await c.say('yes'))).toMatch(/email|username/i);
    const since = p.smtp.messages.length;
    expect(textOf(await c.say('mgonzalez78'))).toMatch(/link/i);
    await waitForMail(p.smtp, p.resetMailTo('maria.gonzalez@example.com', since));

    // A new conversation: the reset flow above still waits ("No email arrived?"), where a question is a side question.
    const s = new Conversation(host, 'sms');
    const menu = textOf(await s.say('what can you do'));
    expect(menu).toMatch(/Reply 1 for/);
    expect(textOf(await s.say('2'))).toMatch(/email|username/i); // "Reset my password" by its number
    await s.say('cancel');
    const enroll = await s.say('how do i sign up for the portal');
    expect(textOf(enroll)).toMatch(/Reply MORE for details/);
    const more = await s.say('MORE');
    expect(more.length).toBeGreaterThanOrEqual(1);
    for (const r of more) expect((r.text ?? '').length).toBeLessThanOrEqual(459);
    expect(textOf(more)).toMatch(/invitation email/);
  });

  it('SMS: a side question in the middle of a flow gets the short SMS form, then the flow asks again', async () => {
    const c = new Conversation(host, 'sms');
    expect(textOf(await c.say('I forgot my username'))).toMatch(/Reply YES or NO/);
    expect(textOf(await c.say('yes'))).toMatch(/verified email address/);
    const replies = await c.say('wait, how do i sign up for the portal?');
    const enroll = loadPracticeKnowledgeBase(host.config.practice, host.config.requestResponseTime).byId.get('enroll');
    expect(textOf(replies)).toContain(enroll?.sms ?? 'no sms form');
    expect(textOf(replies)).toMatch(/Now, back to recovering your username/);
    for (const r of replies) expect((r.text ?? '').length).toBeLessThanOrEqual(459);
  });

  it('topic changer: token request, side question, "cancel", then username recovery to the end', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, "my enrollment token isn't working");
    const side = textOf(await c.say('actually wait, do I need an email to sign up?'));
    expect(side).toMatch(/Now, back to/);
    expect(textOf(await c.say('cancel'))).toMatch(/stopped that/);
    await p.startFlow(c, 'I forgot my username');
    const since = p.smtp.messages.length;
    expect(textOf(await c.say('sofia.alvarez@example.org'))).toMatch(/If that address is on an account/);
    const [mail] = await waitForMail(p.smtp, p.mailTo('sofia.alvarez@example.org', since));
    expect(mail.text).toContain('salvarez85');
  });
});

/**
 * Practice requests: token renewal and reactivation, status, staff resolution.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { NOTIFY, startPractice, type Practice } from '../helpers/e2e';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('practice-requests');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('practice requests', () => {
  it('files a token renewal, notifies the practice, reports status, and staff resolve it by email on file', async () => {
    const c = new Conversation(host);
    expect(await p.startFlow(c, "my enrollment token isn't working")).toMatch(/first name/i);
    await c.say('Linh');
    await c.say('Nguyen');
    await c.say('09/30/2001');
    const since = p.smtp.messages.length;
    const filed = textOf(await c.say('typed-in-chat@example.com'));
    const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0] ?? '';
    expect(requestId).toMatch(/^R-/);
    expect(filed).toMatch(/old token stops working/);
    const notice = await p.smtp.waitFor(p.mailTo(NOTIFY, since));
    expect(notice.text).toContain(requestId);
    expect(notice.text).not.toMatch(/Nguyen|2001|typed-in-chat/);

    expect(textOf(await new Conversation(host).say(`what's the status of ${requestId.toLowerCase()}`))).toMatch(/is open/);

    expect((await p.admin(['requests:resolve', requestId, '--patient', 'P-1005'])).code).toBe(0);
    const tokenMail = await p.smtp.waitFor(p.mailTo('linh.nguyen@example.com', since));
    const enrollment = /[2-9A-Z]{12}/.exec(tokenMail.text ?? '')?.[0] ?? '';
    expect(await host.app.services.tokens.checkEnrollmentToken(enrollment)).toEqual({ patientId: 'P-1005' });
    expect(p.smtp.messages.slice(since).filter(p.mailTo('typed-in-chat@example.com'))).toHaveLength(0);

    const status = new Conversation(host);
    await status.say('any update on my request?');
    expect(textOf(await status.say(requestId))).toMatch(/is done/);
  });

  it('re-asks a contact the request queue would refuse instead of failing', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, "my enrollment token isn't working");
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

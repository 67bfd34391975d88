/**
 * Conversations as people have them, through the real host: yes/no in many forms, values given inside
 * sentences, dates as people write them, side questions in the middle of a flow (answered, then back to the
 * same step with what was collected), "talk to a person" mid-flow, and "the email never came".
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { NOTIFY, startPractice, type Practice } from '../helpers/e2e';
import { waitForMail } from '../helpers/wait';

let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('conversation');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

/** Asks the FAQ question that offers a flow, then answers the offer with `reply`. */
async function offerThen(c: Conversation, question: string, reply: string): Promise<string> {
  const offer = await c.say(question);
  expect(buttonsOf(offer)).toEqual(['Yes', 'No']);
  return textOf(await c.say(reply));
}

describe('yes and no as people say them', () => {
  test.each(['yes and hurry up', 'yeah go ahead', 'ya', 'sure thing', 'ok do it', 'yes please help me with that', 'yep', 'y'])(
    '%j starts the offered flow',
    async (reply) => {
      expect(await offerThen(new Conversation(host), 'I forgot my username', reply)).toMatch(/verified email address on your portal account/);
    },
  );
  test.each(['nah', 'not now', 'no thanks'])('%j declines it', async (reply) => {
    expect(await offerThen(new Conversation(host), 'I forgot my username', reply)).toMatch(/No problem\. Is there anything else/);
  });
});

describe('values inside sentences', () => {
  it('takes the email out of "my email is …" and sends the username', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    const since = p.smtp.messages.length;
    expect(textOf(await c.say('sure, my email is Maria.Gonzalez@example.com thanks'))).toMatch(/If that address is on an account/);
    const [mail] = await waitForMail(p.smtp, p.mailTo('maria.gonzalez@example.com', since));
    expect(mail.text).toContain('mgonzalez78');
  });

  it('files a request from "Robert Chen" at the first-name question, a spelled-out date and a phone inside a sentence', async () => {
    const c = new Conversation(host);
    const first = await offerThen(c, 'my account got blocked', 'yes');
    expect(first).toMatch(/first name/i);
    const afterName = textOf(await c.say('Robert Chen'));
    expect(afterName).toMatch(/noted your first and last name/);
    expect(afterName).toMatch(/date of birth/i); // the last-name question is skipped
    expect(afterName).not.toMatch(/Robert|Chen/); // nothing the patient typed is echoed
    expect(textOf(await c.say('February 19, 1952'))).toMatch(/email address or phone number/);
    const since = p.smtp.messages.length;
    const filed = textOf(await c.say('you can call me at 555 867 5309'));
    expect(filed).toMatch(/reference number is R-[2-9A-Z]{6}/);
    await waitForMail(p.smtp, p.mailTo(NOTIFY, since));
    const [request] = (await host.app.services.requests.list({ status: 'open' })).filter((r) => r.kind === 'reactivation');
    expect(request).toMatchObject({ firstName: 'Robert', lastName: 'Chen', dateOfBirth: '1952-02-19', contact: { phone: '555 867 5309' } });
  });

  it('takes "it\'s Chen" at the last-name question and asks a two-digit year again without repeating the date', async () => {
    const c = new Conversation(host);
    await offerThen(c, "my enrollment token isn't working", 'yes');
    await c.say('Linh');
    expect(textOf(await c.say("it's Nguyen"))).toMatch(/date of birth/i);
    const again = textOf(await c.say('9/30/01'));
    expect(again).toMatch(/year with all four digits/);
    expect(again).not.toMatch(/9\/30|\/01\b|2001|1901/);
    expect(textOf(await c.say('09/30/2001'))).toMatch(/email address or phone number/);
  });
});

describe('side questions in the middle of a flow', () => {
  it('answers the question, then comes back to the same step with what it had', async () => {
    const c = new Conversation(host);
    await offerThen(c, "my enrollment token isn't working", 'yes');
    await c.say('Linh');
    const side = textOf(await c.say('actually wait, do I need an email to sign up?'));
    expect(side).toMatch(/email address is not required to enroll/i);
    expect(side).toMatch(/Now, back to your token request/);
    expect(side).toMatch(/And your last name\?/);
    await c.say('Nguyen');
    await c.say('09/30/2001');
    const filed = textOf(await c.say('linh.nguyen@example.com'));
    expect(filed).toMatch(/reference number is R-/);
    const requests = await host.app.services.requests.list({ status: 'open' });
    expect(requests.some((r) => r.kind === 'token-renewal' && r.firstName === 'Linh' && r.lastName === 'Nguyen')).toBe(true);
  });

  it('"talk to a person" mid-flow gives the practice contact and keeps the collected details', async () => {
    const c = new Conversation(host);
    await offerThen(c, "my enrollment token isn't working", 'yes');
    await c.say('Linh');
    const person = textOf(await c.say('can I talk to a real person please'));
    expect(person).toMatch(/call \(555\) 010-0100/);
    expect(person).toMatch(/kept what you told me so far/);
    expect(textOf(await c.say('Nguyen'))).toMatch(/date of birth/i);
  });
});

describe('"the email never came"', () => {
  it('after username recovery: says to check spam and offers the notification-email way', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    const sent = await c.say('nobody-at-all@example.com');
    expect(textOf(sent)).toMatch(/No email arrived\? I can help another way/);
    expect(buttonsOf(sent)).toEqual(['Use my notification email', 'Talk to a person', 'No thanks']);
    const never = await c.say('the email never came');
    expect(textOf(never)).toMatch(/spam or junk folder/);
    expect(buttonsOf(never)).toEqual(['Use my notification email', 'Talk to a person', 'No thanks']);
    expect(textOf(await c.say('Use my notification email'))).toMatch(/notification email/);
  });

  it('after a reset email: the same word about spam and the other ways to reset', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'reset my password');
    await c.say('no-such-user-55');
    const never = await c.say("I didn't get it, nothing in spam");
    expect(textOf(never)).toMatch(/spam or junk folder/);
    expect(buttonsOf(never)).toContain('Answer my security questions');
  });
});

describe('frustration', () => {
  it('is acknowledged briefly, then the patient is helped as usual', async () => {
    const c = new Conversation(host);
    const reply = await c.say('this is ridiculous, my account got blocked AGAIN');
    expect(reply[0].text).toBe("I'm sorry this has been frustrating. Let's get it sorted out.");
    expect(textOf(reply)).toMatch(/un-?enroll/i);
    expect(buttonsOf(reply)).toEqual(['Yes', 'No']);
    const calm = await new Conversation(host).say('I forgot my password');
    expect(textOf(calm)).not.toMatch(/frustrating/);
  });
});

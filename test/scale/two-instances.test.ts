/**
 * Two bot instances behind one Redis (the test cluster), no sticky sessions: one conversation alternates between
 * them turn by turn, like a round-robin load balancer, and every reply is what one instance would have said; the
 * data a flow collected on one instance is there on the other; a mail queued on either is sent exactly once
 * although both run a mail worker; and turns of one conversation sent to both at once are serialised.
 */
import { Conversation, startHost, textOf, type TestHost } from '../helpers/host';
import { deletePrefix, uniquePrefix } from '../helpers/redis';
import { NOTIFY, PUBLIC_BASE, startPractice, type Practice } from '../helpers/e2e';
import { expectNoMailAfter } from '../helpers/wait';

const shared = uniquePrefix('two');
let p: Practice;
let a: TestHost;
let b: TestHost;

/** A "load balancer" for one conversation: each request goes to the next instance. */
function roundRobin(): { url: string; sent: string[] } {
  let n = 0;
  const sent: string[] = [];
  return {
    sent,
    get url() {
      const url = [a.url, b.url][n++ % 2] as string;
      sent.push(url);
      return url;
    },
  };
}

beforeAll(async () => {
  p = await startPractice('two-a', { REDIS_KEY_PREFIX: shared });
  a = p.host;
  b = await startHost(
    'two-b',
    13,
    {
      REDIS_KEY_PREFIX: shared,
      SMTP_URL: p.smtp.url,
      MAIL_FROM: 'Lakeside Clinic <no-reply@lakeside.test>',
      PRACTICE_NAME: 'Lakeside Clinic',
      PRACTICE_NOTIFY_EMAIL: NOTIFY,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      SERVER_SECRET: 'test-secret-0123456789-0123456789-abcdef',
      RATE_LIMIT_CONVERSATION_PER_MINUTE: '1000',
      RATE_LIMIT_ACCOUNT_PER_HOUR: '1000',
    },
    { mailer: { retry: { attempts: 20, baseDelayMs: 200, maxDelayMs: 1000 } } },
  );
}, 60_000);

afterAll(async () => {
  await b.stop();
  await deletePrefix(a.redis, shared);
  await p.stop();
});

describe('two instances behind one Redis', () => {
  it('a practice request alternating between the instances turn by turn files exactly what was typed', async () => {
    const lb = roundRobin();
    const c = new Conversation(lb);
    expect(textOf(await c.say("my enrollment token isn't working"))).toMatch(/token/i);
    expect(textOf(await c.say('yes'))).toMatch(/first name/i);
    expect(textOf(await c.say('Rosalind'))).toMatch(/last name/i);
    expect(textOf(await c.say('Okonkwo-Baptiste'))).toMatch(/date of birth/i);
    expect(textOf(await c.say('02/14/1977'))).toMatch(/email|phone/i);
    const since = p.smtp.messages.length;
    const filed = textOf(await c.say('rosalind.ob@example.org'));
    const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0] ?? '';
    expect(requestId).toMatch(/^R-/);
    expect(new Set(lb.sent).size).toBe(2); // both instances served this conversation

    // Collected on both instances, stored once, complete; the practice is told once (either worker).
    const request = await b.app.services.requests.get(requestId);
    expect(request).toMatchObject({ kind: 'token-renewal', firstName: 'Rosalind', lastName: 'Okonkwo-Baptiste', dateOfBirth: '1977-02-14', contact: { email: 'rosalind.ob@example.org' } });
    const notice = await p.smtp.waitFor(p.mailTo(NOTIFY, since), 15_000);
    expect(notice.text).toContain(requestId);
    await Promise.all([a.app.services.mailer.whenIdle(15_000), b.app.services.mailer.whenIdle(15_000)]);
    expect(p.smtp.messages.slice(since).filter((m) => (m.text ?? '').includes(requestId))).toHaveLength(1);
  });

  it('username recovery alternating between instances: the same replies as on one, the mail sent once', async () => {
    const lb = roundRobin();
    const c = new Conversation(lb);
    expect(textOf(await c.say('I forgot my username'))).toMatch(/username/i);
    expect(textOf(await c.say('yes'))).toMatch(/verified email address/i);
    const since = p.smtp.messages.length;
    const reply = textOf(await c.say('maria.gonzalez@example.com'));
    expect(reply).toMatch(/If that address is on an account, we've sent the username/);
    const mail = await p.smtp.waitFor(p.mailTo('maria.gonzalez@example.com', since), 15_000);
    expect(mail.text).toContain('mgonzalez78');
    // After the flow, an FAQ question on either instance is answered from the main menu.
    expect(textOf(await c.say('how do I reset my password'))).toMatch(/password/i);
    await expectNoMailAfter(p.smtp, (m) => p.mailTo('maria.gonzalez@example.com', since)(m) && m !== mail, async () => {
      await Promise.all([a.app.services.mailer.whenIdle(15_000), b.app.services.mailer.whenIdle(15_000)]);
    });
  });

  it('turns of one conversation sent to both instances at once are serialised, none lost', async () => {
    const onA = new Conversation(a);
    const onB = Object.assign(new Conversation(b), { id: onA.id, userId: onA.userId });
    await onA.say('hi');
    const questions = ['what is an enrollment token', 'how do I reset my password', 'can I use the app on my phone', 'my account is locked'];
    const replies = await Promise.all(questions.map((q, i) => (i % 2 ? onB : onA).say(q)));
    for (const r of replies) expect(textOf(r).length).toBeGreaterThan(20);
    expect(replies.map(textOf).join('\n')).not.toMatch(/still working on your previous message|something went wrong/i);
  });
});

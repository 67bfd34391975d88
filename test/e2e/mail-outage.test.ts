/**
 * Mail outage: the chat never waits on SMTP, and mail is delivered exactly once when it is back.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { waitForLog } from '../helpers/wait';
import { startTestSmtp } from '../helpers/smtp';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('mail-outage');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('mail outage', () => {
  it('delays mail while SMTP is down and delivers it exactly once when it is back', async () => {
    const port = p.smtp.port;
    await p.smtp.stop();
    const outboxKeys = () => host.redis.keys(`{${host.prefix}-mail}:outbox:*`);
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    const reply = textOf(await c.say('sofia.alvarez@example.org'));
    expect(reply).toMatch(/we've sent the username/); // the chat did not wait on SMTP
    // While it waits in the Redis outbox (retrying), the mail's recipient and username are sealed, not readable.
    await waitForLog(host.logs, '"outcome":"retry"', { timeoutMs: 10_000 });
    const keys = await outboxKeys();
    const stored = (
      await Promise.all(keys.map(async (k) => ((await host.redis.type(k)) === 'hash' ? JSON.stringify(await host.redis.hgetall(k)) : '')))
    ).join('\n');
    expect(stored).toContain('sealed');
    expect(stored).not.toMatch(/sofia\.alvarez|salvarez85/i);
    p.smtp = await startTestSmtp(port);
    const mail = await p.smtp.waitFor(p.mailTo('sofia.alvarez@example.org'), 20000);
    expect(mail.text).toContain('salvarez85');
    await p.mailSettled();
    expect(p.smtp.messages.filter(p.mailTo('sofia.alvarez@example.org'))).toHaveLength(1);
  });
});

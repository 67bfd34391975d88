/**
 * Password reset by an emailed one-time link, and the reset page.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { PUBLIC_BASE, DEMO, startPractice, type Practice } from '../helpers/e2e';
import { accountLimitKey } from '../../services/recovery';
import { forgetLimit } from '../helpers/limits';
import { Keys } from '../../services/redis';
import { waitForMail } from '../helpers/wait';
import { RedisTokenService } from '../../services/tokens';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('reset-by-email');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('password reset by emailed link', () => {
  it('emails a one-time link; the page enforces the policy, changes the password and confirms by email', async () => {
    const c = new Conversation(host);
    expect(await p.startFlow(c, 'I need to reset my password')).toMatch(/verified account email or your username/i);
    const since = p.smtp.messages.length;
    expect(textOf(await c.say('mgonzalez78'))).toMatch(/emailed a link to reset your password/);
    const mail = await p.smtp.waitFor(p.resetMailTo('maria.gonzalez@example.com', since));
    const { url, token } = p.linkIn(mail.text ?? '');

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

    const weak = await p.submitReset(token, 'password1');
    expect(weak.status).toBe(400);
    expect(weak.html).toMatch(/class="bad"><span class="mark">✗<\/span>Not a commonly used password/);
    expect(weak.html).toMatch(/class="ok"><span class="mark">✓<\/span>At least one number/);

    const withName = await p.submitReset(token, 'Gonzalez#2024x');
    expect(withName.status).toBe(400);
    expect(withName.html).toMatch(/✗<\/span>Does not contain your last name/);

    const mismatch = await p.submitReset(token, 'Bright#Lantern77', 'Bright#Lantern78');
    expect(mismatch.html).toMatch(/do not match/);

    const ok = await p.submitReset(token, 'Bright#Lantern77');
    expect(ok.status).toBe(200);
    expect(ok.html).toMatch(/Your password has been changed/);
    expect(await host.app.services.directory.verifyPassword('mgonzalez78', 'Bright#Lantern77')).toBe(true);
    expect(await host.app.services.directory.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(false);
    const notice = await p.smtp.waitFor((m) => p.mailTo('maria.gonzalez@example.com', since)(m) && /changed/i.test(m.subject ?? ''));
    expect(notice.text).toMatch(/changed/i);

    const reused = await fetch(url);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toMatch(/already been used/);
    const resubmit = await p.submitReset(token, 'Another#Lantern88');
    expect(resubmit.html).toMatch(/already been used/);
  });

  it('revokes an older link when a newer one is sent, and refuses unknown tokens', async () => {
    const c = new Conversation(host);
    await p.startFlow(c, 'reset my password');
    let since = p.smtp.messages.length;
    await c.say('sofia.alvarez@example.org');
    const first = p.linkIn((await p.smtp.waitFor(p.resetMailTo('sofia.alvarez@example.org', since))).text ?? '');
    const c2 = new Conversation(host);
    await p.startFlow(c2, 'reset my password');
    since = p.smtp.messages.length;
    await c2.say('salvarez85');
    const second = p.linkIn((await p.smtp.waitFor(p.resetMailTo('sofia.alvarez@example.org', since))).text ?? '');
    expect(second.token).not.toBe(first.token);
    const old = await fetch(first.url);
    expect(old.status).toBe(410);
    expect(await old.text()).toMatch(/replaced by a newer one/);
    expect((await fetch(second.url)).status).toBe(200);
    const bogus = await fetch(`${host.url}/reset?token=not-a-real-token`);
    expect(bogus.status).toBe(404);
    expect(await bogus.text()).toMatch(/To get a new link/);
  });

  it('expires links (issued by a clock an hour behind, so its 30 minutes are over)', async () => {
    const anHourAgo = new RedisTokenService({ redis: host.redis, keys: new Keys(host.prefix), serverSecret: host.config.serverSecret, now: () => Date.now() - 3_600_000 });
    const { token } = await anHourAgo.issueResetLink('arahman90', { ttlSeconds: 30 * 60, via: 'email' });
    const res = await fetch(`${host.url}/reset?token=${token}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toMatch(/expired/);
  });

  it('replies identically (text and buttons) whether or not the account exists', async () => {
    const run = async (login: string) => {
      const c = new Conversation(host);
      await p.startFlow(c, 'reset my password');
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
    const since = p.smtp.messages.length;
    for (let i = 0; i < 5; i += 1) {
      const c = new Conversation(host);
      await p.startFlow(c, 'reset my password');
      expect(textOf(await c.say('bobchen52-not-there'))).toMatch(/emailed a link/);
    }
    // JamesOC65 has no verified email: the same reply, and no mail.
    const james = new Conversation(host);
    await p.startFlow(james, 'reset my password');
    expect(textOf(await james.say('JamesOC65'))).toMatch(/emailed a link/);

    const account = DEMO.patients.find((p) => p.account?.username === 'salvarez85');
    const to = account?.account?.verifiedEmail ?? '';
    const before = p.smtp.messages.filter(p.resetMailTo(to)).length;
    for (let i = 0; i < 5; i += 1) {
      const c = new Conversation(host);
      await p.startFlow(c, 'reset my password');
      expect(textOf(await c.say('salvarez85'))).toMatch(/emailed a link/);
    }
    await waitForMail(p.smtp, p.resetMailTo(to), before + 3);
    await p.mailSettled();
    expect(p.smtp.messages.filter(p.resetMailTo(to)).length - before).toBe(3);
    expect(p.smtp.messages.slice(since).filter(p.mailTo('jim.oconnor@example.net'))).toHaveLength(0);
  });
});

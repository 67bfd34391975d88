/**
 * Password reset with a practice-issued reset token.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('practice-token');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('password reset by practice token', () => {
  it('turns a valid username + practice token into a one-time link, once', async () => {
    const issued = await p.admin(['tokens:issue-reset', 'bobchen52']);
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
    const { token } = p.linkIn(reply);
    expect((await p.submitReset(token, 'Granite!Falls512')).status).toBe(200);
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

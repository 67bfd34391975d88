/**
 * ResetPasswordDialog on its own (DialogTestClient), over the real reset-by-email use case: real Redis, the
 * demo practice, the reset link mailed to a real SMTP server. The reply is the same whether or not the
 * account exists or has a verified email; without an email the dialog offers the other ways.
 */
import { CHOICES } from '../../dialogs/choices';
import { UNIFORM } from '../../dialogs/messages';
import { ResetPasswordDialog } from '../../dialogs/resetPasswordDialog';
import { USERNAME_RULE } from '../../services/passwords';
import { demoPatient, TEST_PUBLIC_BASE_URL, tokenFromResetUrl } from '../helpers/recovery';
import { startDialogServices, type DialogFixture } from '../helpers/dialogs';
import { expectNoMailAfter, waitForMail } from '../helpers/wait';

const sofia = demoPatient('P-1006'); // verified email
const james = demoPatient('P-1002'); // no verified email

const ASK = 'I can email you a link to reset your password. Please type your verified account email or your username. (Never type your password here.)';
const ASK_BUTTONS = [CHOICES.noEmailReset.label, CHOICES.haveToken.label];
const RETRY = `Please type your verified account email or your username (${USERNAME_RULE.summary}), or choose an option.`;
const SENT = `${UNIFORM.resetLinkSent}\n\nNo email arrived, or no email on your account? I can help another way.`;
const AFTER_SENT = [CHOICES.securityQuestions.label, CHOICES.haveToken.label, CHOICES.requestToken.label, CHOICES.noThanks.label];
const OTHER_WAYS_TEXT = 'Without a verified email, you can reset your password in one of these ways:';
const OTHER_WAYS = [CHOICES.securityQuestions.label, CHOICES.haveToken.label, CHOICES.requestToken.label, CHOICES.person.label];

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-reset-password');
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const dialog = () => new ResetPasswordDialog(f.deps);

async function started() {
  const c = f.client(dialog());
  const ask = await c.ask('I forgot my password');
  return { c, ask };
}

describe('ResetPasswordDialog, by email', () => {
  it('asks for the email or username, emails a one-time link, offers other ways; "No thanks" ends with {}', async () => {
    const since = await f.services.mailMark();
    const { c, ask } = await started();
    expect(ask.text).toBe(ASK);
    expect(ask.buttons).toEqual(ASK_BUTTONS);

    const sent = await c.ask(sofia.account.username);
    expect(sent.text).toBe(SENT);
    expect(sent.buttons).toEqual(AFTER_SENT);
    expect(c.waiting).toBe(true);

    const [mail] = await waitForMail(f.services.smtp, f.services.mailTo(sofia.account.verifiedEmail!, since));
    const token = tokenFromResetUrl(mail!.text ?? '');
    expect(mail!.text).toContain(`${TEST_PUBLIC_BASE_URL}/reset?token=`);
    expect(await f.services.recovery.checkResetLink(token)).toEqual({ ok: true });
    expect(sent.text).not.toContain(token);

    expect(await c.ask('no thanks')).toMatchObject({ text: 'OK. Is there anything else I can help you with?', buttons: [] });
    expect(c.result).toEqual({});
  });

  it('takes the verified email as well as the username', async () => {
    const since = await f.services.mailMark();
    const { c } = await started();
    expect(await c.ask(`my email is ${sofia.account.verifiedEmail!.toUpperCase()}`)).toMatchObject({ text: SENT, buttons: AFTER_SENT });
    await waitForMail(f.services.smtp, f.services.mailTo(sofia.account.verifiedEmail!, since));
  });

  it('an unknown username or email, and an account without a verified email, get the same reply and no mail', async () => {
    const since = await f.services.mailMark();
    for (const login of ['nobody-here-42', 'nobody@example.com', james.account.username]) {
      const { c } = await started();
      expect(await c.ask(login)).toMatchObject({ text: SENT, buttons: AFTER_SENT });
    }
    await expectNoMailAfter(f.services.smtp, (m) => f.services.smtp.messages.indexOf(m) >= since, f.services.mailIdle);
  });

  it.each([
    ['1', 'reset-by-questions'],
    [CHOICES.haveToken.value, 'reset-by-token'],
    ['ask for a token', 'request-reset-token'],
  ])('after the link, %j ends with next: %s', async (typed, next) => {
    const { c } = await started();
    await c.ask('nobody-here-42');
    expect(await c.send(typed)).toEqual([]);
    expect(c.result).toEqual({ next });
  });

  it('"it never came" after the link: a word about spam and the same ways again', async () => {
    const { c } = await started();
    await c.ask('nobody-here-42');
    const again = await c.ask("I didn't get it");
    expect(again.text).toMatch(/^Sorry it hasn't arrived\. .*spam or junk folder/);
    expect(again.buttons).toEqual(AFTER_SENT);
  });

  it('a new question at the menu after the link ends with reroute', async () => {
    const { c } = await started();
    await c.ask('nobody-here-42');
    expect(await c.send('can I use the portal on my phone')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });

  it('"I have a reset token" ends with next: reset-by-token', async () => {
    const { c } = await started();
    expect(await c.send(CHOICES.haveToken.value)).toEqual([]);
    expect(c.result).toEqual({ next: 'reset-by-token' });
  });

  it('re-asks what is neither an email nor a username, twice; the third miss offers the other ways', async () => {
    const { c } = await started();
    for (const typed of ['my name is bob!!', '???']) {
      expect(await c.ask(typed)).toMatchObject({ text: RETRY, buttons: ASK_BUTTONS });
    }
    expect(await c.ask('@@@')).toMatchObject({ text: OTHER_WAYS_TEXT, buttons: OTHER_WAYS });
  });

  it('a new question typed instead of the email ends with reroute, without a reply', async () => {
    const { c } = await started();
    expect(await c.send('how do I enroll in the portal')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });
});

describe('ResetPasswordDialog, without an email', () => {
  it('"I don\'t have an email" offers the other ways, each ending with its flow', async () => {
    const flows = ['reset-by-questions', 'reset-by-token', 'request-reset-token', 'handoff'];
    for (const [i, next] of flows.entries()) {
      const { c } = await started();
      expect(await c.ask(CHOICES.noEmailReset.value)).toMatchObject({ text: OTHER_WAYS_TEXT, buttons: OTHER_WAYS });
      expect(await c.send(String(i + 1))).toEqual([]);
      expect(c.result).toEqual({ next });
    }
  });

  it('start: reset-password-without-email begins at the other ways', async () => {
    const c = f.client(dialog(), { start: 'reset-password-without-email' });
    expect(await c.ask('I forgot my password and have no email')).toMatchObject({ text: OTHER_WAYS_TEXT, buttons: OTHER_WAYS });
    expect(await c.send('talk to a person')).toEqual([]);
    expect(c.result).toEqual({ next: 'handoff' });
  });

  it('anything else typed at the other ways is handed back (reroute)', async () => {
    const c = f.client(dialog(), { start: 'reset-password-without-email' });
    await c.ask('start');
    expect(await c.send('what are the password rules')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });
});

describe('ResetPasswordDialog, known product bug', () => {
  // BUG (dialogs/routing.ts EMAIL_NEVER_CAME, used by the after-sent step): "no … got" matches the
  // "never came" pattern, so a patient declining because the link DID arrive is told it hasn't.
  it('"No thanks, I got the email" after the link is not taken as "the email never came"', async () => {
    const { c } = await started();
    await c.ask('nobody-here-42');
    const replies = await c.send('No thanks, I got the email');
    expect(replies.map((r) => r.text).join('\n')).not.toMatch(/hasn't arrived/);
  });
});

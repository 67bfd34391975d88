/**
 * PracticeTokenDialog on its own (DialogTestClient), over the real practice-token use case: real Redis,
 * tokens issued the way staff issue them (the token service), the demo accounts. Username + token → a
 * one-time reset link in chat; anything wrong gets one uniform failure.
 */
import { CHOICES } from '../../dialogs/choices';
import { UNIFORM } from '../../dialogs/messages';
import { PracticeTokenDialog } from '../../dialogs/practiceTokenDialog';
import { RETRY } from '../../dialogs/prompts';
import { CHAT_LINK_MINUTES } from '../../services/recovery';
import { demoPatient, TEST_PUBLIC_BASE_URL, tokenFromResetUrl } from '../helpers/recovery';
import { startDialogServices, type DialogFixture } from '../helpers/dialogs';

const maria = demoPatient('P-1001');
const james = demoPatient('P-1002');
const aisha = demoPatient('P-1003');
const robert = demoPatient('P-1004'); // unenrolled
const sofia = demoPatient('P-1006');

const ASK_USERNAME = 'To use the password reset token from the practice, first type your portal username.';
const ASK_TOKEN = 'Now type the reset token the practice gave you.';
const RETRY_TOKEN = 'That does not look like a reset token. Please type it exactly as the practice gave it to you.';
const FAILED = [CHOICES.tryAgain.label, CHOICES.requestToken.label, CHOICES.person.label];

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-ptoken');
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const dialog = () => new PracticeTokenDialog(f.deps);
const issue = (username: string) => f.services.services.tokens.issuePracticeResetToken(username);

/** Started, username given: the token question is waiting. */
async function atToken(username: string) {
  const c = f.client(dialog());
  await c.ask('I have my password reset token');
  expect(await c.ask(username)).toMatchObject({ text: ASK_TOKEN, buttons: [] });
  return c;
}

describe('PracticeTokenDialog', () => {
  it('asks the username, then the token; a valid pair → a one-time link in chat, ends with {}', async () => {
    const token = await issue(maria.account.username);
    const c = f.client(dialog());
    expect(await c.ask('I have my password reset token')).toMatchObject({ text: ASK_USERNAME, buttons: [] });
    expect(await c.ask(`my username is ${maria.account.username}`)).toMatchObject({ text: ASK_TOKEN, buttons: [] });

    // Typed the way people type it: lower case with a dash in the middle.
    const done = await c.ask(`${token.slice(0, 5).toLowerCase()}-${token.slice(5).toLowerCase()}`);
    expect(done.text).toMatch(new RegExp(`^Thank you, that's right\\. Here is your one-time link .* for the next ${CHAT_LINK_MINUTES} minutes:\\n`));
    expect(done.buttons).toEqual([]);
    expect(c.result).toEqual({});
    const url = done.text.split('\n').pop()!;
    expect(url.startsWith(`${TEST_PUBLIC_BASE_URL}/reset?token=`)).toBe(true);
    expect(await f.services.services.tokens.inspectResetLink(tokenFromResetUrl(url))).toEqual({
      state: 'valid',
      username: maria.account.username,
      via: 'practice-token',
    });
  });

  it('the token works once: a second use gets the uniform failure and the menu', async () => {
    const token = await issue(sofia.account.username);
    const first = await atToken(sofia.account.username);
    await first.ask(token);
    expect(first.result).toEqual({});

    const second = await atToken(sofia.account.username);
    expect(await second.ask(token)).toMatchObject({ text: UNIFORM.practiceTokenFailed, buttons: FAILED });
    expect(second.waiting).toBe(true);
  });

  it('a wrong token, an unknown username and another account\'s token all get the same failure', async () => {
    const jamesToken = await issue(james.account.username);
    const cases: Array<[string, string]> = [
      [james.account.username, 'ABCDE23456'],
      ['nobody-at-all-77', jamesToken],
      [aisha.account.username, jamesToken],
    ];
    for (const [username, token] of cases) {
      const c = await atToken(username);
      expect(await c.ask(token)).toMatchObject({ text: UNIFORM.practiceTokenFailed, buttons: FAILED });
    }
    // None of those spent James's token.
    const c = await atToken(james.account.username);
    await c.ask(jamesToken);
    expect(c.result).toEqual({});
  });

  it('after a failure: "Try again" starts over at the username; the other choices end with their flows', async () => {
    const again = await atToken(aisha.account.username);
    await again.ask('ABCDE23456');
    expect(await again.ask(CHOICES.tryAgain.value)).toMatchObject({ text: ASK_USERNAME });
    expect(again.waiting).toBe(true);

    for (const [typed, next] of [
      ['2', 'request-reset-token'],
      ['talk to a person', 'handoff'],
    ] as const) {
      const c = await atToken(aisha.account.username);
      await c.ask('ABCDE23456');
      expect(await c.send(typed)).toEqual([]);
      expect(c.result).toEqual({ next });
    }
  });

  it('an unenrolled account with a valid token: not active, ends with next: reactivate', async () => {
    const token = await issue(robert.account.username);
    const c = await atToken(robert.account.username);
    const done = await c.ask(token);
    expect(done.text).toBe('Thank you. Your portal account is not active at the moment, so a new password would not let you sign in yet.');
    expect(c.result).toEqual({ next: 'reactivate' });
  });

  it('re-asks what is not a token, twice; the third miss ends with contact-practice', async () => {
    const c = await atToken(aisha.account.username);
    expect(await c.ask('xyz')).toMatchObject({ text: RETRY_TOKEN, buttons: [] });
    expect(await c.ask('hello there')).toMatchObject({ text: RETRY_TOKEN });
    expect(await c.send('12')).toEqual([]);
    expect(c.result).toEqual({ next: 'contact-practice', nextOptions: { reason: "That didn't look like a reset token." } });
  });

  it('re-asks what is not a username', async () => {
    const c = f.client(dialog());
    await c.ask('start');
    expect(await c.ask('a')).toMatchObject({ text: RETRY.username, buttons: [] });
    expect(await c.ask(aisha.account.username)).toMatchObject({ text: ASK_TOKEN });
  });

  it('a new question instead of the token ends with reroute, and the token is not spent', async () => {
    const token = await issue(aisha.account.username);
    const c = await atToken(aisha.account.username);
    expect(await c.send('how do I enroll in the portal')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });

    const again = await atToken(aisha.account.username);
    await again.ask(token);
    expect(again.result).toEqual({});
  });

  it('a new question instead of the username ends with reroute', async () => {
    const c = f.client(dialog());
    await c.ask('start');
    expect(await c.send('can I use the portal on my phone')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });
});

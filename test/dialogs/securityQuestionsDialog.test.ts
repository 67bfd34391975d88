/**
 * SecurityQuestionsDialog on its own (DialogTestClient), over the real security-questions use case: real
 * Redis (tries, 24-hour lock), the demo accounts' questions, decoys for unknown usernames. Both right → a
 * one-time reset link in chat.
 */
import { CHOICES } from '../../dialogs/choices';
import { RETRY } from '../../dialogs/prompts';
import { SecurityQuestionsDialog } from '../../dialogs/securityQuestionsDialog';
import { CHAT_LINK_MINUTES, decoyQuestions } from '../../services/recovery';
import { demoPatient, TEST_PUBLIC_BASE_URL, tokenFromResetUrl } from '../helpers/recovery';
import { startDialogServices, type DialogFixture } from '../helpers/dialogs';

const maria = demoPatient('P-1001');
const james = demoPatient('P-1002');
const aisha = demoPatient('P-1003');
const robert = demoPatient('P-1004'); // unenrolled
const sofia = demoPatient('P-1006');

const ASK_USERNAME = "Let's check your security questions. What is your portal username?";
const OTHER_WAYS = [CHOICES.haveToken.label, CHOICES.requestToken.label, CHOICES.person.label];
const LOCKED =
  'For your security, resetting with security questions is paused for this account for 24 hours. You can still reset your password with a token from the practice, or talk to a person.';
const DONT_REMEMBER = 'No problem. You can reset your password with a token from the practice instead, or talk to a person.';

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-questions');
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const dialog = () => new SecurityQuestionsDialog(f.deps);
const question = (n: 1 | 2, text: string) => ({ text: `Question ${n} of 2: ${text}`, buttons: [CHOICES.dontRemember.label] });
const wrong = (tries: number) => `Sorry, that answer doesn't match. You have ${tries} ${tries === 1 ? 'try' : 'tries'} left for this question.`;

/** Started, username given: the first question is waiting. */
async function atFirstQuestion(username: string) {
  const c = f.client(dialog());
  await c.ask('reset with my security questions');
  const first = await c.ask(username);
  return { c, first };
}

describe('SecurityQuestionsDialog', () => {
  it('asks the username, then both questions one at a time; both right → a one-time link in chat, ends with {}', async () => {
    const c = f.client(dialog());
    const ask = await c.ask('reset with my security questions');
    expect(ask).toMatchObject({ text: ASK_USERNAME, buttons: [CHOICES.forgotUsername.label] });

    expect(await c.ask(sofia.account.username)).toMatchObject(question(1, sofia.account.securityQuestions[0]!.question));
    expect(await c.ask('mrs delgado')).toMatchObject(question(2, sofia.account.securityQuestions[1]!.question));
    const done = await c.ask('  CÁRMEN ');
    expect(done.text).toMatch(new RegExp(`^Thank you, that's right\\. Here is your one-time link .* for the next ${CHAT_LINK_MINUTES} minutes:\\n`));
    expect(done.buttons).toEqual([]);
    expect(c.result).toEqual({});

    const url = done.text.split('\n').pop()!;
    expect(url.startsWith(`${TEST_PUBLIC_BASE_URL}/reset?token=`)).toBe(true);
    expect(await f.services.services.tokens.inspectResetLink(tokenFromResetUrl(url))).toEqual({
      state: 'valid',
      username: sofia.account.username,
      via: 'questions',
    });
    const events = await f.services.auditEvents({ conversationRef: c.conversationRef });
    expect(events.map((e) => e.type)).toEqual(['reset-requested', 'reset-link-issued']);
  });

  it('a wrong answer says how many tries are left and asks the same question again', async () => {
    const { c } = await atFirstQuestion(aisha.account.username);
    const replies = await c.send('Washington Elementary');
    expect(replies.map((r) => r.text)).toEqual([wrong(2), question(1, aisha.account.securityQuestions[0]!.question).text]);
    expect(replies[1]!.buttons).toEqual([CHOICES.dontRemember.label]);
    expect(await c.ask('lincoln elementary')).toMatchObject(question(2, aisha.account.securityQuestions[1]!.question));
  });

  it('three wrong answers lock the path: the lock menu, whose choices end with their flows', async () => {
    const { c } = await atFirstQuestion(maria.account.username);
    await c.send('Rex');
    expect((await c.send('Fido')).map((r) => r.text)[0]).toBe(wrong(1));
    expect(await c.ask('Spot')).toMatchObject({ text: LOCKED, buttons: OTHER_WAYS });
    expect(await c.send('1')).toEqual([]);
    expect(c.result).toEqual({ next: 'reset-by-token' });

    // Locked for the account: a new conversation goes straight to the lock menu after the username.
    const { c: again, first } = await atFirstQuestion(maria.account.username.toUpperCase());
    expect(first).toMatchObject({ text: LOCKED, buttons: OTHER_WAYS });
    expect(await again.send('talk to a person')).toEqual([]);
    expect(again.result).toEqual({ next: 'handoff' });
  });

  it('an unknown username gets decoy questions and the same tries, nothing telling it apart', async () => {
    const username = 'nobody-at-all-77';
    const [q0, q1] = decoyQuestions(f.services.config.serverSecret, username);
    const { c, first } = await atFirstQuestion(username);
    expect(first).toMatchObject(question(1, q0));
    expect((await c.send('Biscuit')).map((r) => r.text)).toEqual([wrong(2), question(1, q0).text]);
    expect(q1).not.toBe(q0);
  });

  it('an unenrolled account, both right: not active, ends with next: reactivate (no link)', async () => {
    const { c } = await atFirstQuestion(robert.account.username);
    await c.ask(robert.account.securityQuestions[0]!.answer);
    const done = await c.ask(robert.account.securityQuestions[1]!.answer);
    expect(done.text).toBe('Thank you. Your portal account is not active at the moment, so a new password would not let you sign in yet.');
    expect(done.text).not.toContain('/reset?token=');
    expect(c.result).toEqual({ next: 'reactivate' });
  });

  it('"I don\'t know my username" ends with next: recover-username', async () => {
    const c = f.client(dialog());
    await c.ask('start');
    expect(await c.send(CHOICES.forgotUsername.value)).toEqual([]);
    expect(c.result).toEqual({ next: 'recover-username' });
  });

  it('"I don\'t remember" offers a token or a person; each choice ends with its flow', async () => {
    for (const [typed, next] of [
      ['I have a reset token', 'reset-by-token'],
      ['2', 'request-reset-token'],
      ['person', 'handoff'],
    ] as const) {
      const { c } = await atFirstQuestion(sofia.account.username);
      expect(await c.ask("I don't remember")).toMatchObject({ text: DONT_REMEMBER, buttons: OTHER_WAYS });
      expect(await c.send(typed)).toEqual([]);
      expect(c.result).toEqual({ next });
    }
  });

  it('re-asks what is not a username, twice; the third miss ends with contact-practice', async () => {
    const c = f.client(dialog());
    await c.ask('start');
    expect(await c.ask('a')).toMatchObject({ text: RETRY.username, buttons: [CHOICES.forgotUsername.label] });
    expect(await c.ask('no!')).toMatchObject({ text: RETRY.username });
    expect(await c.send('?')).toEqual([]);
    expect(c.result).toEqual({ next: 'contact-practice', nextOptions: { reason: "I couldn't read that username." } });
  });

  it('a new question instead of the username ends with reroute', async () => {
    const c = f.client(dialog());
    await c.ask('start');
    expect(await c.send('how do I enroll in the portal')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });

  it('a new question instead of an answer ends with reroute and costs no try', async () => {
    const { c } = await atFirstQuestion(james.account.username);
    expect(await c.send('how do I enroll in the portal')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });

    const { c: again } = await atFirstQuestion(james.account.username);
    expect((await again.send('Toyota')).map((r) => r.text)[0]).toBe(wrong(2));
  });
});

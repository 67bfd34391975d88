/**
 * The main dialog behind the router (dialogs/conversation.ts, through a TestAdapter), with the shipped knowledge
 * base, the registry's flow dialogs over the real use cases (real Redis, demo practice, real SMTP), and
 * conversation state in memory, saved after every turn. Offers (the menu, "did you mean", "would you like me
 * to…") stay pending in the session between turns, outside any dialog; flows run in the dialog.
 */
import { CHOICES } from '../../dialogs/choices';
import { YES_NO } from '../../dialogs/input';
import { CANCELLED, contactPracticeText, NOT_UNDERSTOOD, NOT_UNDERSTOOD_AGAIN, topTaskChoices, UNIFORM, WELCOME } from '../../dialogs/messages';
import { FLOWS } from '../../dialogs/registry';
import { demoPatient } from '../helpers/recovery';
import { PRACTICE_NAME, startDialogServices, type DialogFixture } from '../helpers/dialogs';

const maria = demoPatient('P-1001');

const YES_NO_LABELS = YES_NO.map((c) => c.label);
const TOP_TASKS = topTaskChoices().map((c) => c.label);
const ASK_VERIFIED = "I can email your username to you. What's the verified email address on your portal account?";
const ASK_NOTIFICATION =
  "No problem. I can also use your notification email: the address the practice has on file for you. What's that email address?";

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-main');
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

/** The main dialog with every flow dialog the registry names, behind the router, in a conversation of its own. */
function mainClient() {
  return f.conversation();
}

const answerOf = (id: string) => f.faq.entry(id)!.answer;
const promptOf = (id: string) => f.faq.entry(id)!.actionPrompt!;

describe('MainDialog: answer and offer', () => {
  it('answers the entry and offers its flow; "yes" starts it through the registry, and the flow runs to its end', async () => {
    const since = await f.services.mailMark();
    const c = mainClient();
    const replies = await c.send('I forgot my username');
    expect(replies.map((r) => r.text)).toEqual([answerOf('recover-username'), promptOf('recover-username')]);
    expect(replies[1]!.buttons).toEqual(YES_NO_LABELS);
    expect(replies[0]!.buttons).toEqual([]);

    expect(await c.ask('yes please')).toMatchObject({ text: ASK_VERIFIED, buttons: [CHOICES.noVerifiedEmail.label] });
    expect((await c.ask(maria.account.verifiedEmail!)).text).toContain(UNIFORM.usernameSent);
    await f.services.mailIdle();
    expect(f.services.smtp.messages.slice(since).some((m) => m.text?.includes(maria.account.username))).toBe(true);

    expect(await c.ask('no thanks')).toMatchObject({ text: 'OK. Is there anything else I can help you with?' });
    expect(c.ended).toBe(true);
  });

  it('the entry that offered the flow picks where it starts (recover-username-without-email → the notification email)', async () => {
    const c = mainClient();
    const replies = await c.send("I forgot my username and I don't have an email");
    expect(replies.map((r) => r.text)).toEqual([answerOf('recover-username-without-email'), promptOf('recover-username-without-email')]);
    expect(await c.ask('yes')).toMatchObject({ text: ASK_NOTIFICATION });
  });

  it('"no" to the offer: nothing started', async () => {
    const c = mainClient();
    await c.send('I forgot my password');
    expect(await c.ask('no thanks')).toMatchObject({ text: 'No problem. Is there anything else I can help you with?', buttons: [] });
    expect(c.ended).toBe(true);
  });

  it('"yes" to "my enrollment token doesn\'t work" starts renew-token: the practice-request dialog with kind token-renewal', async () => {
    expect(FLOWS['renew-token'].options).toEqual({ kind: 'token-renewal' });
    const c = mainClient();
    const replies = await c.send("my enrollment token doesn't work");
    expect(replies.map((r) => r.text)).toEqual([answerOf('enroll-token-not-working'), `Would you like me to ask ${PRACTICE_NAME} for a new enrollment token?`]);
    expect((await c.ask('sure')).text).toMatch(/^I can ask the practice to send you a new enrollment token\. .*What is your first name\?$/);
  });

  it('"yes" to "how do I enroll" starts request-enrollment: the practice-request dialog with kind enrollment', async () => {
    const c = mainClient();
    const replies = await c.send('how do I enroll in the portal');
    expect(replies.map((r) => r.text)).toEqual([answerOf('enroll'), promptOf('enroll')]);
    expect((await c.ask('yes')).text).toMatch(/^I can ask the practice to enroll you in the patient portal, no token needed\. .*What is your first name\?$/);
  });

  it('an entry without a flow is answered with its follow-ups as choices', async () => {
    const c = mainClient();
    const reply = await c.ask('can I use the portal on my phone');
    expect(reply.text).toBe(answerOf('mobile-access'));
    expect(reply.buttons).toEqual(f.faq.entry('mobile-access')!.followUps!.map((id) => f.faq.entry(id)!.title));
  });
});

describe('MainDialog: clarify and misses', () => {
  it('close scores → "Did you mean" with the top candidates and "Something else"; a number picks one', async () => {
    const c = mainClient();
    const ask = await c.ask("can't remember my username, also is it case sensitive");
    expect(ask.text).toBe('I want to be sure I understand. Did you mean:');
    expect(ask.buttons).toEqual(['Username and password rules', 'Recover my username', 'Recover username without email', 'Something else']);

    const replies = await c.send('2');
    expect(replies.map((r) => r.text)).toEqual([answerOf('recover-username'), 'Would you like me to help you recover your username now?']);
  });

  it('"Something else" asks for the question in their own words', async () => {
    const c = mainClient();
    await c.ask("can't remember my username, also is it case sensitive");
    expect(await c.ask('none of these')).toMatchObject({ text: 'Sure. Please tell me in your own words what you need help with.', buttons: [] });
    expect(c.ended).toBe(true);
  });

  it('a miss says so and offers the top tasks; two in a row offer a person; "yes" gives the practice contact', async () => {
    const c = mainClient();
    expect(await c.ask('purple elephant banana')).toMatchObject({ text: NOT_UNDERSTOOD, buttons: TOP_TASKS });
    expect(await c.ask('what is the weather in paris')).toMatchObject({ text: NOT_UNDERSTOOD_AGAIN, buttons: YES_NO_LABELS });
    expect(await c.ask('yes')).toMatchObject({ text: contactPracticeText(f.practice), buttons: [] });
    expect(c.ended).toBe(true);
  });

  it('an answer in between resets the count of misses', async () => {
    const c = mainClient();
    await c.ask('purple elephant banana');
    expect((await c.ask('can I use the portal on my phone')).text).toBe(answerOf('mobile-access'));
    // The next miss is a first one again, not the second in a row.
    expect(await c.ask('what is the weather in paris')).toMatchObject({ text: NOT_UNDERSTOOD, buttons: TOP_TASKS });
  });

  it.each([
    ['1', "I can email your username to you. What's the verified email address on your portal account?"],
    ['2', 'I can email you a link to reset your password. Please type your verified account email or your username. (Never type your password here.)'],
    ['3', 'I can ask the practice to send you a new enrollment token. The practice needs a few details to find your record. What is your first name?'],
    ['Talk to a person', null],
  ])('a main-menu pick (%j) starts its task at once', async (typed, firstQuestion) => {
    const c = mainClient();
    await c.ask('purple elephant banana');
    const reply = await c.ask(typed);
    expect(reply.text).toBe(firstQuestion ?? contactPracticeText(f.practice));
  });
});

describe('MainDialog: flows chain and hand back', () => {
  it('a flow ending with next: contact-practice chains into it, with the reason', async () => {
    const c = mainClient();
    await c.send("I forgot my username and I don't have an email");
    await c.ask('yes');
    const reply = await c.ask(CHOICES.noEmailAtAll.value);
    expect(reply.text).toBe(`Without an email address on file, the practice needs to help you recover your username. ${contactPracticeText(f.practice)}`);
    expect(c.ended).toBe(true);
  });

  it('a flow ending with next: reset-by-token starts the practice-token dialog', async () => {
    const c = mainClient();
    await c.ask('purple elephant banana');
    await c.ask('2');
    expect(await c.ask(CHOICES.haveToken.value)).toMatchObject({ text: 'To use the password reset token from the practice, first type your portal username.' });
  });

  it('text a flow hands back (reroute) is routed as a new message; an offer it makes is pending once the flow has ended', async () => {
    const c = mainClient();
    expect((await c.ask('what is the status of my request')).text).toBe('What is the reference number of your request? It looks like R-7K3Q9P.');
    expect(await c.ask('purple elephant banana')).toMatchObject({ text: NOT_UNDERSTOOD, buttons: TOP_TASKS });
    expect(c.ended).toBe(false); // the menu is pending
    expect((await c.ask('1')).text).toBe(ASK_VERIFIED);
  });

  it('a question typed inside a flow is answered as a side question and the flow goes on', async () => {
    const c = mainClient();
    await c.send('I forgot my password');
    await c.ask('yes');
    const replies = await c.send('can I use the portal on my phone');
    expect(replies.map((r) => r.text)).toEqual([
      answerOf('mobile-access'),
      'Now, back to resetting your password (or type "cancel" to stop):',
      'I can email you a link to reset your password. Please type your verified account email or your username. (Never type your password here.)',
    ]);
  });

});

describe('MainDialog: shortcuts before the FAQ', () => {
  it('a request reference starts request-status with it', async () => {
    const c = mainClient();
    expect(await c.ask('what is the status of R-2222ZZ')).toMatchObject({
      text: `I can't find a request with the reference R-2222ZZ. Please check the number, or call the practice at ${f.practice.phone}.`,
    });
    expect(c.ended).toBe(true);
  });

  it('"I have my password reset token" starts reset-by-token', async () => {
    const c = mainClient();
    expect(await c.ask('I have my password reset token')).toMatchObject({ text: 'To use the password reset token from the practice, first type your portal username.' });
  });

  it('"thanks" closes politely; "hello" is greeted with the top tasks', async () => {
    const c = mainClient();
    expect(await c.ask('thanks so much')).toMatchObject({ text: "You're welcome! If you need anything else with the portal, just ask." });
    expect(c.ended).toBe(true);
    const hello = await c.ask('hello');
    expect(hello).toMatchObject({ text: answerOf('greeting'), buttons: TOP_TASKS });
  });
});

describe('Offers pending between turns (outside any dialog)', () => {
  it('a join greets with the menu, but not over an offer already pending', async () => {
    const c = mainClient();
    expect((await c.join()).map((r) => [r.text, r.buttons])).toEqual([[WELCOME(PRACTICE_NAME), TOP_TASKS]]);
    expect(await c.join()).toEqual([]); // Web Chat reconnecting: the menu is still pending, not sent twice
    expect((await c.ask('1')).text).toBe(ASK_VERIFIED);
  });

  it('"cancel" at a pending offer shows the menu again; the old offer is gone', async () => {
    const c = mainClient();
    await c.send('I forgot my username');
    expect(await c.ask('cancel')).toMatchObject({ text: CANCELLED, buttons: TOP_TASKS });
    expect((await c.ask('yes')).text).not.toBe(ASK_VERIFIED);
  });

  it('an emergency drops a pending offer: a later "yes" does not start the offered flow', async () => {
    const c = mainClient();
    await c.send('I forgot my username');
    const emergency = await c.send("I'm having chest pain");
    expect(emergency[0]!.text).toContain('911');
    expect(c.ended).toBe(true);
    expect((await c.ask('yes')).text).not.toBe(ASK_VERIFIED);
  });

  it('a blank message at a pending offer is routed like any other reply to it, not met with "please type your question"', async () => {
    const c = mainClient();
    await c.send('I forgot my username');
    expect(await c.ask('   ')).toMatchObject({ text: NOT_UNDERSTOOD, buttons: TOP_TASKS });
    expect(await c.ask('')).toMatchObject({ text: NOT_UNDERSTOOD_AGAIN, buttons: YES_NO_LABELS });
    const fresh = mainClient();
    expect((await fresh.ask('')).text).toBe('Please type your question, for example "I forgot my password".');
  });

  it('the pending offer lasts until the patient answers it, and no longer', async () => {
    const c = mainClient();
    await c.send('I forgot my username');
    expect(c.ended).toBe(false);
    expect((await c.ask('no')).text).toBe('No problem. Is there anything else I can help you with?');
    expect(c.ended).toBe(true);
  });

  it('a conversation saved by the version that kept offers on the dialog stack (a prompt waiting) is answered after an upgrade', async () => {
    const c = mainClient();
    // The state the earlier version saved after "I forgot my username": the route waterfall's offer and its text prompt.
    const pending = { kind: 'action', action: 'recover-username', entryId: 'recover-username', choices: YES_NO.map((y) => ({ ...y, yesNo: y.value === 'Yes' ? 'yes' : 'no' })) };
    const prompt = { type: 'message', inputHint: 'acceptingInput', text: 'Would you like me to help you recover your username now?' };
    const route = { id: 'mainRoute', state: { options: {}, values: { instanceId: 'i-1', pending }, stepIndex: 0 } };
    const main = { id: 'mainDialog', state: { dialogs: { dialogStack: [route, { id: 'textPrompt', state: { options: { prompt }, state: {} } }] } } };
    c.seed({ dialogState: { dialogStack: [main] }, session: { misses: 0 } });
    expect((await c.ask('yes')).text).toBe(ASK_VERIFIED);
  });
});

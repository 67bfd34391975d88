/**
 * MainDialog on its own (DialogTestClient), with the shipped knowledge base, the registry's flow dialogs
 * over the real use cases (real Redis, demo practice, real SMTP), and its session over a ConversationState
 * in memory. The router's step 2 (emergencies, cancel, side questions) is not here: messages go straight to
 * the main dialog, as they do when nothing interrupts them.
 */
import { ConversationState, MemoryStorage } from 'botbuilder';
import { CHOICES } from '../../dialogs/choices';
import { YES_NO } from '../../dialogs/input';
import { MainDialog, type SessionState } from '../../dialogs/mainDialog';
import { contactPracticeText, NOT_UNDERSTOOD, NOT_UNDERSTOOD_AGAIN, topTaskChoices, UNIFORM } from '../../dialogs/messages';
import { createFlowDialogs, FLOWS } from '../../dialogs/registry';
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

/** A main dialog with every flow dialog the registry names, in a conversation of its own. */
function mainClient() {
  const conversationState = new ConversationState(new MemoryStorage());
  const session = conversationState.createProperty<SessionState>('session');
  const main = new MainDialog({ faq: f.faq, session, practice: f.practice, logger: f.deps.logger, dialogs: createFlowDialogs(f.deps) });
  return f.client(main, undefined, conversationState);
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

  it('a new question typed inside a flow (reroute) is answered as a new question', async () => {
    const c = mainClient();
    await c.send('I forgot my password');
    await c.ask('yes');
    const reply = await c.ask('can I use the portal on my phone');
    expect(reply.text).toBe(answerOf('mobile-access'));
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

/**
 * One-word answers that typo correction would read as an emergency word, through the router (dialogs/conversation.ts)
 * and the registry's flows over the real use cases: a last name like "Fant" (corrected, alone, to "faint") gets the
 * emergency answer — never silenced — and is also taken as the name, so the flow goes on instead of stopping every
 * time the patient types their own name; a security answer likewise. Emergency words as typed, and sentences,
 * stop the flow as before.
 */
import { CHOICES } from '../../dialogs/choices';
import { EMERGENCY_KEPT_ANSWER, EMERGENCY_STOPPED_FLOW } from '../../dialogs/messages';
import { demoPatient } from '../helpers/recovery';
import { startDialogServices, type DialogFixture } from '../helpers/dialogs';

const aisha = demoPatient('P-1003');
const EMERGENCY = /call 911/;
let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-typed');
}, 60_000);
afterAll(async () => {
  await f?.stop();
});

/** A practice request (new enrollment token) waiting for the first name. */
async function atFirstName() {
  const c = f.conversation();
  await c.send("my enrollment token isn't working");
  expect((await c.ask('yes')).text).toMatch(/What is your first name\?$/);
  return c;
}

/** The security questions waiting for the first answer. */
async function atFirstQuestion() {
  const c = f.conversation();
  await c.send('I forgot my password');
  await c.send('yes');
  await c.send("I don't have an email");
  await c.send(CHOICES.securityQuestions.label);
  expect((await c.ask(aisha.account.username)).text).toBe(`Question 1 of 2: ${aisha.account.securityQuestions[0]!.question}`);
  return c;
}

const texts = (replies: Array<{ text: string }>) => replies.map((r) => r.text);

describe('one-word answers that typo correction reads as an emergency', () => {
  it('a first and last name like "Faynt" and "Fant" get the emergency answer and are taken as the names: the flow goes on', async () => {
    const c = await atFirstName();
    const first = texts(await c.send('Faynt'));
    expect(first[0]).toMatch(EMERGENCY);
    expect(first.slice(1)).toEqual([EMERGENCY_KEPT_ANSWER, 'And your last name?']);
    const last = texts(await c.send('Fant'));
    expect(last[0]).toMatch(EMERGENCY);
    expect(last[1]).toBe(EMERGENCY_KEPT_ANSWER);
    expect(last[2]).toMatch(/date of birth/i);
  });

  it('a misspelt one-word emergency at a name question is never silenced: the emergency answer comes first', async () => {
    for (const word of ['sucidal', 'Ovrdose']) {
      const c = await atFirstName();
      const replies = texts(await c.send(word));
      expect({ word, first: replies[0] }).toEqual({ word, first: expect.stringMatching(EMERGENCY) });
    }
  });

  it('a security answer like "Fant" gets the emergency answer and is checked as an answer (one try used)', async () => {
    const c = await atFirstQuestion();
    const replies = texts(await c.send('Fant'));
    expect(replies[0]).toMatch(EMERGENCY);
    expect(replies.slice(1, 3)).toEqual([EMERGENCY_KEPT_ANSWER, "Sorry, that answer doesn't match. You have 2 tries left for this question."]);
  });

  it('emergency words as typed, and sentences with a misspelt one, get the emergency answer and stop the flow', async () => {
    for (const text of ['overdose', 'i feel faynt', 'Suicide']) {
      const c = await atFirstName();
      expect({ text, replies: texts(await c.send(text)) }).toEqual({ text, replies: [expect.stringMatching(EMERGENCY), EMERGENCY_STOPPED_FLOW] });
    }
    const q = await atFirstQuestion();
    expect(texts(await q.send('overdose'))).toEqual([expect.stringMatching(EMERGENCY), EMERGENCY_STOPPED_FLOW]);
  });
});

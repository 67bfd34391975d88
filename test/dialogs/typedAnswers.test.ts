/**
 * One-word answers that typo correction would read as an emergency word, through the router (dialogs/conversation.ts)
 * and the registry's flows over the real use cases: a last name like "Fant" (corrected, alone, to "faint") is the
 * name, and a security answer like it is checked as an answer, instead of stopping the flow with the emergency
 * reply every time the patient types their own name. Emergency words as typed, and sentences, still stop it.
 */
import { CHOICES } from '../../dialogs/choices';
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

describe('one-word answers that typo correction reads as an emergency', () => {
  it('a first and last name like "Faynt" and "Fant" are taken as the names', async () => {
    const c = await atFirstName();
    expect((await c.ask('Faynt')).text).toBe('And your last name?');
    expect((await c.ask('Fant')).text).toMatch(/date of birth/i);
  });

  it('a security answer like "Fant" is checked as an answer (one try used), not met with the emergency reply', async () => {
    const c = await atFirstQuestion();
    const replies = await c.send('Fant');
    expect(replies[0]!.text).toBe("Sorry, that answer doesn't match. You have 2 tries left for this question.");
  });

  it('emergency words as typed, and sentences with a misspelt one, still get the emergency reply at those questions', async () => {
    for (const text of ['overdose', 'i feel faynt', 'Suicide']) {
      const c = await atFirstName();
      expect({ text, reply: (await c.send(text))[0]!.text }).toEqual({ text, reply: expect.stringMatching(EMERGENCY) });
    }
    const q = await atFirstQuestion();
    expect((await q.send('overdose'))[0]!.text).toMatch(EMERGENCY);
  });
});

/**
 * The mail a use case asks for during a chat turn is held by the turn (bot/portalBot.ts gives every turn a
 * TurnScope; dialogs/flow.ts `callerOf` hands it to the use cases as `Caller.turn`) and queued only after the
 * turn saved its state. A turn that misses its deadline after its use case ran — here the recovery timing
 * floor (RECOVERY_MIN_MS) outlasts TURN_DEADLINE_MS — is told "temporarily unavailable" and sends nothing.
 * Real host, real Redis, real SMTP.
 */
import { Conversation, textOf } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { expectNoMailAfter } from '../helpers/wait';
import { UNAVAILABLE_REPLY } from '../../bot/portalBot';

const maria = DEMO.patients.find((p) => p.id === 'P-1001')!;
const email = maria.account!.verifiedEmail!;
let practice: Practice;
/** The deadline is generous (a busy CI machine must answer the flow's first turns within it); the floor outlasts it. */
const DEADLINE_MS = 2000;
const FLOOR_MS = 4500;

beforeAll(async () => {
  practice = await startPractice('deadline-mail', { TURN_DEADLINE_MS: String(DEADLINE_MS), RECOVERY_MIN_MS: String(FLOOR_MS) });
});
afterAll(async () => {
  await practice?.stop();
});

it('a turn that misses its deadline after asking for mail sends none', async () => {
  const c = new Conversation(practice.host);
  expect(await practice.startFlow(c, 'I forgot my username')).toMatch(/email/i);
  const since = practice.smtp.messages.length;
  const sent = Date.now();
  expect(textOf(await c.say(email))).toBe(UNAVAILABLE_REPLY);
  // The abandoned turn's use case finishes its floor in the background; its mail must still never be queued.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent + FLOOR_MS + 500 - Date.now())));
  await expectNoMailAfter(practice.smtp, practice.mailTo(email, since), () => practice.mailSettled());
}, 20_000);

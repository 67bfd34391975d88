/**
 * The turn deadline and the turn's mail. The mail a use case asks for during a chat turn is held by the turn
 * (bot/portalBot.ts gives every turn a TurnScope; dialogs/flow.ts `callerOf` hands it to the use cases as
 * `Caller.turn`) and queued only after the turn saved its state. So:
 * - a turn that misses its deadline before saving (the recovery timing floor, RECOVERY_MIN_MS, outlasts
 *   TURN_DEADLINE_MS) is told "temporarily unavailable" and sends nothing;
 * - a turn that saved its state before the deadline is not cut short while it queues its mail (the floor is
 *   kept there too): its conversation moved on, so it answers as usual and its mail goes out.
 * Real host, real Redis, real SMTP.
 */
import { Conversation, textOf } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { expectNoMailAfter, waitForMail } from '../helpers/wait';
import { UNAVAILABLE_REPLY } from '../../bot/portalBot';

const maria = DEMO.patients.find((p) => p.id === 'P-1001')!;
const email = maria.account!.verifiedEmail!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * A practice with this turn deadline and recovery floor for the enclosing describe, and a step that takes a new
 * conversation to the username flow's email question, types the address and times the reply.
 */
function withDeadline(name: string, deadlineMs: number, floorMs: number) {
  let practice: Practice;
  beforeAll(async () => {
    practice = await startPractice(name, { TURN_DEADLINE_MS: String(deadlineMs), RECOVERY_MIN_MS: String(floorMs) });
  });
  afterAll(async () => {
    await practice?.stop();
  });
  return {
    practice: () => practice,
    async typeEmail(): Promise<{ reply: string; sent: number; ms: number; since: number }> {
      const c = new Conversation(practice.host);
      expect(await practice.startFlow(c, 'I forgot my username')).toMatch(/email/i);
      const since = practice.smtp.messages.length;
      const sent = Date.now();
      const reply = textOf(await c.say(email));
      return { reply, sent, ms: Date.now() - sent, since };
    },
  };
}

describe('a turn that misses its deadline before it saved its state', () => {
  /** The deadline is generous (a busy CI machine must answer the flow's first turns within it); the floor outlasts it. */
  const FLOOR_MS = 4500;
  const t = withDeadline('deadline-mail', 2000, FLOOR_MS);

  it('is told "temporarily unavailable" and sends no mail', async () => {
    const { reply, sent, since } = await t.typeEmail();
    expect(reply).toBe(UNAVAILABLE_REPLY);
    // The abandoned turn's use case finishes its floor in the background; its mail must still never be queued.
    await sleep(sent + FLOOR_MS + 500 - Date.now());
    const practice = t.practice();
    await expectNoMailAfter(practice.smtp, practice.mailTo(email, since), () => practice.mailSettled());
  }, 20_000);
});

describe('a turn that saved its state before its deadline', () => {
  // The use case takes the floor (2 s), the turn saves its state, then queueing its mail takes the floor
  // again: the deadline (3 s) falls while the mail is being queued, a second from either side.
  const DEADLINE_MS = 3000;
  const t = withDeadline('deadline-committed', DEADLINE_MS, 2000);

  it('answers as usual, past the deadline, and its mail goes out', async () => {
    const { reply, ms, since } = await t.typeEmail();
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(reply).not.toBe(UNAVAILABLE_REPLY);
    expect(reply).toMatch(/sent|email/i);
    const practice = t.practice();
    await waitForMail(practice.smtp, practice.mailTo(email, since));
    await practice.mailSettled();
    expect(practice.smtp.messages.slice(since).filter(practice.mailTo(email))).toHaveLength(1);
  }, 20_000);
});

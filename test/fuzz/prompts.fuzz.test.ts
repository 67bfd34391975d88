/**
 * Fuzz (fast-check) of every dialog prompt: each flow is driven, through the real host, to each of its questions,
 * then hostile text is sent there (huge, control characters, emoji, mixed scripts, HTML/script, odd dates). The
 * bot must answer 200 with a real reply (a re-ask, the next question or a polite refusal — never the turn error),
 * keep readable state, and still obey "cancel" afterwards.
 */
import fc from 'fast-check';
import { Keys } from '../../services/redis';
import { storageKeyToRedisKey } from '../../services/state/redisStorage';
import { Conversation, textOf } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { hostileText } from './arbitraries';

const TURN_ERROR = /something went wrong on our side/i;

/** A flow as typed by a patient: each step's text and what the bot's reply to it must look like. */
type Path = Array<[text: string, reply: RegExp]>;

const FLOWS: Record<string, Path> = {
  'recover username (verified email)': [
    ['I forgot my username', /username/i],
    ['yes', /verified email address/i],
  ],
  'recover username (notification email, last name, date of birth)': [
    ['I forgot my username', /username/i],
    ['yes', /verified email address/i],
    ["I don't have a verified email", /notification email/i],
    ['jim.oconnor@example.net', /last name/i],
    ["o'connor", /mm\/dd\/yyyy/i],
  ],
  'reset password by email': [
    ['reset my password', /password/i],
    ['yes', /email|username/i],
  ],
  'security questions': [
    ['reset my password', /password/i],
    ['yes', /email|username/i],
    ["I don't have an email", /one of these ways/i],
    ['Answer my security questions', /username/i],
    ['arahman90', /Question 1 of 2/i],
    ['Lincoln Elementary', /Question 2 of 2/i],
  ],
  'practice reset token': [
    ['I have my password reset token', /username/i],
    ['bobchen52', /token/i],
  ],
  'enrollment-token renewal': [
    ["my enrollment token isn't working", /token/i],
    ['yes', /first name/i],
    ['Linh', /last name/i],
    ['Nguyen', /date of birth/i],
    ['09/30/2001', /email|phone/i],
  ],
  reactivation: [
    ['my account is blocked', /block|locked|reactivat/i],
    ['yes', /first name/i],
  ],
  'enroll with a token': [
    ['I have an enrollment token', /type the token/i],
    ['ABCDEFGHJKLM', /last name/i],
    ['Chen', /date of birth/i],
  ],
  'request status': [['what is the status of my request', /reference|R-/i]],
  'talk to a person': [['talk to a person', /./]],
};

const PROMPTS = Object.entries(FLOWS).flatMap(([flow, path]) => path.map((_, i) => ({ name: `${flow} — after "${path[i]?.[0]}"`, path: path.slice(0, i + 1) })));

let p: Practice;

beforeAll(async () => {
  p = await startPractice('fuzz-prompts', { RATE_LIMIT_CONVERSATION_PER_MINUTE: '10000', LOG_LEVEL: 'warn' }, { mailWorker: false });
}, 60_000);
afterAll(() => p.stop());

async function expectValidState(c: Conversation): Promise<void> {
  const doc = await p.host.redis.hget(storageKeyToRedisKey(new Keys(p.host.prefix), `webchat/conversations/${c.id}/`), 'doc');
  if (doc !== null) expect(typeof JSON.parse(doc)).toBe('object');
}

describe('every dialog prompt under hostile text', () => {
  it.each(PROMPTS.map((x) => [x.name, x.path] as const))('%s', async (_, path) => {
    await fc.assert(
      fc.asyncProperty(hostileText(), async (text) => {
        const c = new Conversation(p.host);
        // Hostile answers count as wrong ones: three lock the security-question path (as they should).
        await p.host.app.services.securityLock.unlock('arahman90');
        for (const [step, expected] of path) expect(textOf(await c.say(step))).toMatch(expected);
        const replies = await c.say(text); // throws on any status but 200
        expect(replies.length).toBeGreaterThan(0);
        expect(textOf(replies).trim().length).toBeGreaterThan(0);
        expect(textOf(replies)).not.toMatch(TURN_ERROR);
        await expectValidState(c);
        const after = textOf(await c.say('cancel'));
        expect(after.trim().length).toBeGreaterThan(0);
        expect(after).not.toMatch(TURN_ERROR);
      }),
      { numRuns: 6 },
    );
  });
});

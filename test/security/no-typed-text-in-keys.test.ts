/**
 * Issue 8: typed text never becomes a Redis key name. Through the real host: flows with unknown usernames
 * (a typed password as the username), unknown and known emails, wrong answers up to the lock and wrong
 * practice tokens; then every key under the practice's prefix is SCANned and none may contain what was
 * typed (case-insensitively, in any spelling the bot treats as the same).
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { normaliseIdentifier } from '../../services/text/fold';

let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('sec-keys');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

async function allKeys(): Promise<string[]> {
  const out: string[] = [];
  // The bot's keys, and the mail queue's (BullMQ prefix `{<prefix>-mail}`).
  for (const pattern of [`${host.prefix}:*`, `{${host.prefix}-mail}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await host.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

const TYPED_PASSWORD_AS_USERNAME = 'Mys3cret-Pa55word!';
const UNKNOWN_EMAIL = 'Private.Person@Example.org';
const KNOWN_USERNAME = 'mgonzalez78';
const KNOWN_EMAIL = 'maria.gonzalez@example.com';

const toQuestions = async (c: Conversation, username: string) => {
  await p.startFlow(c, 'reset my password');
  const ways = await c.say("I don't have an email");
  expect(buttonsOf(ways)).toContain('Answer my security questions');
  await c.say('Answer my security questions');
  return textOf(await c.say(username));
};

it('after flows with unknown and known usernames and emails, no key name contains what was typed', async () => {
  // A typed password as the username of the security-questions path: three wrong answers lock it.
  const q = new Conversation(host);
  expect(await toQuestions(q, TYPED_PASSWORD_AS_USERNAME)).toMatch(/Question 1 of 2/);
  await q.say('wrong one');
  await q.say('wrong two');
  expect(textOf(await q.say('wrong three'))).toMatch(/paused/);
  // The same for a real account (its lock and counters live next to the account).
  const q2 = new Conversation(host);
  expect(await toQuestions(q2, KNOWN_USERNAME)).toMatch(/Question 1 of 2/);
  expect(textOf(await q2.say('not my pet'))).toMatch(/tries left/);

  // Reset by email with an unknown address, a known one, and the typed password as a username.
  for (const login of [UNKNOWN_EMAIL, KNOWN_EMAIL, TYPED_PASSWORD_AS_USERNAME, KNOWN_USERNAME]) {
    const c = new Conversation(host);
    await p.startFlow(c, 'I need to reset my password');
    await c.say(login);
  }
  // Username recovery with an unknown and a known verified email.
  for (const email of [UNKNOWN_EMAIL, KNOWN_EMAIL]) {
    const c = new Conversation(host);
    await p.startFlow(c, 'I forgot my username');
    await c.say(email);
  }
  // Practice-token tries with an unknown and a known username.
  for (const username of [TYPED_PASSWORD_AS_USERNAME, KNOWN_USERNAME]) {
    const c = new Conversation(host);
    await c.say('I have my password reset token');
    await c.say(username);
    expect(textOf(await c.say('ABCDE-FGHJK'))).toMatch(/don't match a valid reset token/);
  }
  await p.mailSettled();

  const keys = (await allKeys()).map((k) => k.toLowerCase());
  expect(keys.length).toBeGreaterThan(10);
  // The lock of the typed "username" exists — under a keyed hash.
  expect(keys.some((k) => /\{acct:[0-9a-f]{32}\}:sq:lock$/.test(k))).toBe(true);
  const typed = [TYPED_PASSWORD_AS_USERNAME, UNKNOWN_EMAIL, KNOWN_USERNAME, KNOWN_EMAIL];
  const forms = typed.flatMap((t) => [t.toLowerCase(), normaliseIdentifier(t), t.split('@')[0]!.toLowerCase()]);
  for (const form of forms) {
    const hits = keys.filter((k) => k.includes(form));
    expect({ form, hits }).toEqual({ form, hits: [] });
  }
  // Imported accounts are keyed the same way: no demo username or email appears in any key name.
  for (const k of keys) expect(k).not.toMatch(/jamesoc65|arahman90|bobchen52|salvarez85|@example\./);
}, 60000);

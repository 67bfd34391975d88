/**
 * Replies byte for byte: a scripted set of conversations (the benchmark's FAQ mix over three channels, turns
 * interleaved across conversations, a join, the username-recovery flow with a known and an unknown address,
 * a declined offer, a side question inside a flow) runs through the real host, and every reply activity —
 * with the fields that differ per run replaced by placeholders — must equal the stored expectation in
 * test/e2e/golden/replies.json. Performance work on the reply path (issue 11) must keep this passing.
 *
 * After a deliberate change of wording, rewrite the expectation with
 *   UPDATE_GOLDEN=1 npx jest test/e2e/replies-golden.test.ts
 * and review the diff of the JSON file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Conversation } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';

const GOLDEN = path.join(__dirname, 'golden', 'replies.json');
const MIX = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bench', 'faq-mix.json'), 'utf8')) as {
  questions: string[];
  typos: string[];
  outOfScope: string[];
};

let p: Practice;

beforeAll(async () => {
  p = await startPractice('golden');
}, 60000);

afterAll(() => p.stop());

/** Fields that differ from run to run, replaced by a placeholder (ids, times, conversation and user ids). */
const VOLATILE = new Set(['id', 'timestamp', 'localTimestamp', 'rawTimestamp', 'rawLocalTimestamp', 'replyToId', 'serviceUrl', 'conversation', 'from', 'recipient']);

function normalise(value: unknown, c: Conversation): unknown {
  if (typeof value === 'string') {
    return value
      .split(c.id)
      .join('<conversation>')
      .split(c.userId)
      .join('<user>')
      .replace(/\bR-[2-9A-Z]{6}\b/g, '<reference>')
      .replace(/token=[A-Za-z0-9_%.-]+/g, 'token=<token>');
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, c));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, VOLATILE.has(k) ? `<${k}>` : normalise(v, c)]));
  }
  return value;
}

interface Turn {
  conversation: number;
  send: string | { join: true };
}

/** The script: which conversation says what, in the order sent. */
function script(): { channels: string[]; turns: Turn[] } {
  const channels = ['webchat', 'webchat', 'sms', 'msteams', 'webchat', 'webchat', 'sms'];
  const turns: Turn[] = [];
  const mix = [...MIX.questions, ...MIX.typos, ...MIX.outOfScope];
  // Conversations 0-3 share the FAQ mix, interleaved (each sees every fourth text), after a join on 0.
  turns.push({ conversation: 0, send: { join: true } });
  mix.forEach((text, i) => turns.push({ conversation: i % 4, send: text }));
  // 4: username recovery to the demo account's verified address, a side question inside the flow first.
  for (const send of ['I forgot my username', 'yes', 'how do I reset my password', 'maria.gonzalez@example.com', 'thanks']) turns.push({ conversation: 4, send });
  // 5: an unknown address, then a declined offer and an out-of-scope question.
  for (const send of ['forgot my usrname', 'yeah go ahead', 'nobody@example.com', 'my account is blocked', 'no thanks', 'tell me a joke']) turns.push({ conversation: 5, send });
  // 6: the same flow over SMS (numbered choices).
  for (const send of ['I forgot my username', '1', 'nobody-sms@example.com', 'what are the rules for a password']) turns.push({ conversation: 6, send });
  return { channels, turns };
}

it('replies exactly as recorded to a scripted multi-turn, multi-channel conversation', async () => {
  const { channels, turns } = script();
  const conversations = channels.map((ch) => new Conversation(p.host, ch));
  const transcript: Array<{ conversation: number; channel: string; sent: string; replies: unknown }> = [];
  for (const turn of turns) {
    const c = conversations[turn.conversation];
    const body = typeof turn.send === 'string' ? c.activity({ type: 'message', text: turn.send, id: `m${transcript.length}` }) : c.activity({ type: 'conversationUpdate', membersAdded: [{ id: c.userId }, { id: 'bot' }], id: `j${transcript.length}` });
    const res = await c.post(body);
    expect(res.status).toBe(200);
    transcript.push({
      conversation: turn.conversation,
      channel: c.channelId,
      sent: typeof turn.send === 'string' ? turn.send : '(join)',
      replies: normalise(res.body.activities ?? [], c),
    });
  }
  const actual = `${JSON.stringify(transcript, null, 1)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
    fs.writeFileSync(GOLDEN, actual);
  }
  expect(fs.existsSync(GOLDEN)).toBe(true);
  const expected = fs.readFileSync(GOLDEN, 'utf8');
  // Compare turn by turn first, so a failure names the first turn that differs.
  const exp = JSON.parse(expected) as typeof transcript;
  expect(transcript).toHaveLength(exp.length);
  transcript.forEach((t, i) => expect({ turn: i, ...t }).toEqual({ turn: i, ...exp[i] }));
  expect(actual).toBe(expected);
}, 120000);

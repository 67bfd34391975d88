/**
 * Fuzz (fast-check) of the host's POST /api/messages with expectReplies: random JSON, activities with fields
 * of the wrong type, deep JSON, broken and oversized bodies, and valid messages with hostile text on every
 * channel. Every response is 2xx or 4xx (never 5xx, never a dropped connection); a valid message always gets a
 * real reply (never the "something went wrong" turn error); and the conversation state stored in Redis stays
 * readable JSON.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Keys } from '../../services/redis';
import { storageKeyToRedisKey } from '../../services/state/redisStorage';
import { startHost, type ReplyActivity, type TestHost } from '../helpers/host';
import { hostileText, NASTY, wrongType } from './arbitraries';

let host: TestHost;
const TURN_ERROR = /something went wrong on our side/i;
const CHANNELS = ['webchat', 'directline', 'msteams', 'sms', 'emulator', 'test'];

beforeAll(async () => {
  host = await startHost('fuzz-host', 13, { RATE_LIMIT_CONVERSATION_PER_MINUTE: '10000', LOG_LEVEL: 'warn' }, { mailWorker: false });
}, 30_000);
afterAll(() => host.stop());

async function post(body: string): Promise<{ status: number; json: { activities?: ReplyActivity[] } | undefined }> {
  const res = await fetch(`${host.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  let json: { activities?: ReplyActivity[] } | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

function message(channelId: string, text: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    channelId,
    serviceUrl: 'http://127.0.0.1:9/unused',
    conversation: { id: `fuzz-${randomUUID()}` },
    from: { id: `user-${randomUUID()}` },
    recipient: { id: 'bot' },
    deliveryMode: 'expectReplies',
    text,
    ...extra,
  };
}

/** The stored conversation state parses as JSON with a dialog stack (or there is none). */
async function expectValidState(activity: Record<string, unknown>): Promise<void> {
  const key = storageKeyToRedisKey(new Keys(host.prefix), `${String(activity.channelId)}/conversations/${(activity.conversation as { id: string }).id}/`);
  const doc = await host.redis.hget(key, 'doc');
  if (doc === null) return;
  const state = JSON.parse(doc) as Record<string, unknown>;
  expect(typeof state).toBe('object');
}

/** A message activity (as JSON text) whose `field` is nested `depth` levels deep, built as text (JSON.stringify would overflow). */
function deepActivity(field: string, depth: number): string {
  const base = JSON.stringify(message('webchat', 'hi'));
  const open = field === 'entities' ? '[' + '{"v":'.repeat(depth) : '{"v":'.repeat(depth);
  const close = '}'.repeat(depth) + (field === 'entities' ? ']' : '');
  return `${base.slice(0, -1)},"${field}":${open}1${close}}`;
}

const FIELDS = ['type', 'channelId', 'conversation', 'from', 'recipient', 'text', 'deliveryMode', 'attachments', 'entities', 'value', 'channelData', 'membersAdded', 'membersRemoved', 'locale', 'timestamp', 'id', 'name', 'serviceUrl', 'textFormat', 'suggestedActions'];

describe('POST /api/messages under hostile input', () => {
  it('any JSON value or broken body: 2xx or 4xx, never 5xx', async () => {
    const bodies = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom('', '{', '{"type":', '[]', 'null', '"message"', '{"type":"message"}', '['.repeat(100_000) + ']'.repeat(100_000), deepActivity('value', 100_000), deepActivity('channelData', 100_000), deepActivity('entities', 100_000), '{"a":1}'.repeat(50_000)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const { status } = await post(body);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 120 },
    );
  });

  it.each([
    ['a 100,000-deep array', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['a message with a 30,000-deep value', deepActivity('value', 30_000)],
    ['a message with 30,000-deep channelData', deepActivity('channelData', 30_000)],
    ['a message with 30,000-deep entities', deepActivity('entities', 30_000)],
    ['a 350 kB body', '{"a":1}'.repeat(50_000)],
    ['truncated JSON', '{"type":"message","text":"hi'],
  ])('%s: 2xx or 4xx', async (_, body) => {
    const { status } = await post(body);
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(500);
  });

  it('any activity type with hostile names, values and members: 2xx or 4xx', async () => {
    const types = fc.constantFrom('message', 'invoke', 'event', 'conversationUpdate', 'messageReaction', 'typing', 'endOfConversation', 'installationUpdate', 'messageUpdate', 'messageDelete', 'handoff', 'trace', 'command', 'suggestion');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), types, hostileText(200), fc.oneof(wrongType, hostileText(200)), async (channel, type, name, value) => {
        const activity = { ...message(channel, 'hi'), type, name, value, membersAdded: [{ id: name.slice(0, 100) || 'x' }], reactionsAdded: [{ type: name }] };
        const { status } = await post(JSON.stringify(activity));
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('an activity with fields of the wrong type (or hostile strings): 2xx or 4xx, and state stays valid', async () => {
    const overrides = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(wrongType, hostileText(300)), { minKeys: 1, maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), overrides, async (channel, fields) => {
        const activity = { ...message(channel, 'hello'), ...fields };
        const { status, json } = await post(JSON.stringify(activity));
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
        if (status < 300) expect(JSON.stringify(json ?? {})).not.toMatch(TURN_ERROR);
        if (typeof activity.channelId === 'string' && typeof (activity.conversation as { id?: unknown })?.id === 'string') await expectValidState(activity);
      }),
      { numRuns: 150 },
    );
  });

  it('a message with hostile text on any channel gets a real reply (or a 400 past 5,000 characters)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), fc.oneof(hostileText(), fc.constantFrom(...NASTY)), async (channel, text) => {
        const activity = message(channel, text);
        const { status, json } = await post(JSON.stringify(activity));
        expect(status).toBe(200);
        const replies = (json?.activities ?? []).filter((a) => a.type === 'message');
        expect(replies.length).toBeGreaterThan(0);
        expect(replies.some((r) => (r.text ?? '').trim() || r.attachments?.length)).toBe(true);
        expect(JSON.stringify(replies)).not.toMatch(TURN_ERROR);
        await expectValidState(activity);
      }),
      { numRuns: 120 },
    );
    expect((await post(JSON.stringify(message('webchat', 'a'.repeat(5001))))).status).toBe(400);
  });
});

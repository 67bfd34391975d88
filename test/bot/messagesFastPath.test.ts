/**
 * `POST /api/messages` with a JSON body is served from node:http in front of restify (bot/server.ts); any other
 * body goes through restify's parser and the same route code. Both ways in must answer alike: same status,
 * headers and body for a turn, bad JSON, an oversized body, an empty body, a non-object. Real host, real Redis.
 */
import { Conversation, startHost, type TestHost } from '../helpers/host';

let host: TestHost;

beforeAll(async () => {
  host = await startHost('fastpath', 10);
});
afterAll(async () => {
  await host.stop();
});

/** application/json takes the fast path; a vendor +json type is parsed by restify (its jsonBodyParser). */
const FAST = 'application/json; charset=utf-8';
const RESTIFY = 'application/vnd.test+json';

async function post(type: string, body: string) {
  const res = await fetch(`${host.url}/api/messages`, { method: 'POST', headers: { 'content-type': type }, body });
  const headers = Object.fromEntries([...res.headers].filter(([k]) => !['date', 'keep-alive', 'connection'].includes(k)));
  return { status: res.status, headers, text: await res.text() };
}

it('answers a turn with the same status, headers and body either way', async () => {
  const fast = new Conversation(host);
  const slow = new Conversation(host);
  const turn = (c: Conversation) => JSON.stringify(c.activity({ type: 'message', text: 'how do I reset my password', id: 'm1' }));
  const a = await post(FAST, turn(fast));
  const b = await post(RESTIFY, turn(slow));
  expect(a.status).toBe(200);
  expect(a.headers).toEqual({ server: 'portal-help-bot', 'content-type': 'application/json', 'content-length': a.headers['content-length'] });
  expect(b).toEqual({ ...a, text: a.text.split(fast.id).join(slow.id).split(fast.userId).join(slow.userId) });
});

it.each([
  ['bad JSON', '{not json', 400, /^Invalid JSON: /],
  ['an empty body', '', 400, /body must be a JSON activity object/],
  ['a JSON array', '[1,2,3]', 400, /body must be a JSON activity object/],
  ['a body past the limit', JSON.stringify({ type: 'message', padding: 'x'.repeat(300 * 1024) }), 413, /body is larger than 262144 bytes/],
  ['an activity without a type', JSON.stringify({ text: 'hi', conversation: { id: 'x' }, channelId: 'webchat', deliveryMode: 'expectReplies' }), 400, /type/],
])('answers %s alike either way', async (_what, body, status, reason) => {
  const a = await post(FAST, body);
  const b = await post(RESTIFY, body);
  expect(a.status).toBe(status);
  expect((JSON.parse(a.text) as { error: string }).error).toMatch(reason);
  expect(b).toEqual(a);
});

it('still serves the host after a client drops mid-body', async () => {
  const net = await import('node:net');
  const { port } = new URL(host.url);
  await new Promise<void>((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write('POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":');
      socket.destroy();
      resolve();
    });
  });
  const c = new Conversation(host);
  expect((await c.say('hello')).length).toBeGreaterThan(0);
});

/**
 * The development Direct Line 3.0 (bot/directline/devDirectLine.ts), driven by Microsoft's own client,
 * `botframework-directlinejs`, polling (node has no XMLHttpRequest: the `xhr2` polyfill supplies one), with a
 * token from the production token endpoint, plus the raw REST routes the way curl would call them.
 * Real host, real Redis (db 7, own prefix).
 */
import { randomUUID } from 'node:crypto';
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2');
// directlinejs touches the WebSocket global while choosing its transport, even when polling.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { WebSocket?: unknown }).WebSocket ??= require('ws');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DirectLine, ConnectionStatus } = require('botframework-directlinejs') as typeof import('botframework-directlinejs');

interface DlActivity {
  type: string;
  id?: string;
  text?: string;
  from: { id: string; role?: string };
  suggestedActions?: { actions: Array<{ title: string; value: string }> };
}

let host: TestHost;
let origin: string;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  host = await startHost('dl', 7, { PORT: String(port), PUBLIC_BASE_URL: origin, LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await host?.stop();
});

async function webchatToken(): Promise<{ token: string; domain: string; webSocket: boolean; expiresIn: number }> {
  const res = await fetch(`${host.url}/api/webchat/token`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string; domain: string; webSocket: boolean; expiresIn: number };
}

it('botframework-directlinejs: welcome on connect, a question answered, a suggested action pressed', async () => {
  const { token, domain, webSocket } = await webchatToken();
  expect(webSocket).toBe(false);
  expect(domain).toBe(`${origin}/v3/directline`);
  const dl = new DirectLine({ token, domain, webSocket: false, pollingInterval: 200 });
  const seen: DlActivity[] = [];
  const sub = dl.activity$.subscribe((a) => void seen.push(a as DlActivity));
  try {
    const botSays = (re: RegExp, from = 0) =>
      waitFor(() => seen.slice(from).find((a) => a.type === 'message' && a.from.role === 'bot' && re.test(a.text ?? '')), { timeoutMs: 10_000, what: `a bot message matching ${re}` });

    const welcome = await botSays(/portal/i);
    expect(welcome.suggestedActions?.actions.length).toBeGreaterThan(0);
    await waitFor(() => dl.connectionStatus$.getValue() === ConnectionStatus.Online, { what: 'online' });

    const before = seen.length;
    const id = await new Promise<string>((resolve, reject) =>
      dl.postActivity({ type: 'message', from: { id: 'ignored-by-token' }, text: 'how do I reset my password' } as never).subscribe(resolve, reject),
    );
    expect(id).toMatch(/\|\d{7}$/);
    const mine = await waitFor(() => seen.find((a) => a.id === id), { what: 'my own activity echoed' });
    expect(mine.from.id).toMatch(/^dl_[0-9a-f]{32}$/); // the token's user, not what the client claimed
    const answer = await botSays(/password/i, before);
    expect(answer.from.id).not.toBe(mine.from.id);

    // Press a suggested action of the welcome (imBack = its value sent as text).
    const action = welcome.suggestedActions!.actions[0];
    const n = seen.length;
    await new Promise((resolve, reject) => dl.postActivity({ type: 'message', from: { id: 'x' }, text: action.value } as never).subscribe(resolve, reject));
    await waitFor(() => seen.slice(n).some((a) => a.type === 'message' && a.from.role === 'bot'), { timeoutMs: 10_000, what: 'a reply to the suggested action' });
  } finally {
    sub.unsubscribe();
    dl.end();
  }
});

describe('REST routes (as curl would call them)', () => {
  const post = (path: string, auth: string, body: unknown = {}) =>
    fetch(`${host.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = (path: string, auth: string) => fetch(`${host.url}${path}`, { headers: { authorization: `Bearer ${auth}` } });

  it('generate → start → post → poll with watermark → refresh; conversation and activities in Redis with a TTL', async () => {
    const secret = host.config.channels.directLine.secret!;
    const user = `dl_${randomUUID()}`;
    const gen = await post('/v3/directline/tokens/generate', secret, { user: { id: user } });
    expect(gen.status).toBe(200);
    const { token, conversationId, expires_in } = (await gen.json()) as { token: string; conversationId: string; expires_in: number };
    expect(expires_in).toBeGreaterThan(60);

    const start = await post('/v3/directline/conversations', token);
    expect(start.status).toBe(201);
    expect(((await start.json()) as { conversationId: string }).conversationId).toBe(conversationId);
    const again = await post('/v3/directline/conversations', token);
    expect(again.status).toBe(200); // started once: no second welcome

    const first = (await (await get(`/v3/directline/conversations/${conversationId}/activities`, token)).json()) as { activities: DlActivity[]; watermark: string };
    expect(first.activities.filter((a) => a.type === 'message')).toHaveLength(1); // the welcome, already there
    expect(first.activities[0].from.role).toBe('bot');

    const sent = await post(`/v3/directline/conversations/${conversationId}/activities`, token, { type: 'message', from: { id: user }, text: 'thanks' });
    expect(sent.status).toBe(200);
    const next = (await (await get(`/v3/directline/conversations/${conversationId}/activities?watermark=${first.watermark}`, token)).json()) as { activities: DlActivity[]; watermark: string };
    expect(next.activities[0].text).toBe('thanks');
    expect(next.activities.slice(1).some((a) => a.from.role === 'bot')).toBe(true);
    expect(Number(next.watermark)).toBe(Number(first.watermark) + next.activities.length);

    const ttl = await host.redis.ttl(`${host.prefix}:{dl:${conversationId}}:activities`);
    expect(ttl).toBeGreaterThan(0);

    const refreshed = await post('/v3/directline/tokens/refresh', token);
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { token: string; conversationId: string };
    expect(fresh.conversationId).toBe(conversationId);
    expect((await get(`/v3/directline/conversations/${conversationId}/activities`, fresh.token)).status).toBe(200);
  });

  it('a client polling while the bot posts (proactive messages) sees every activity once, none skipped', async () => {
    // Regression: an activity used to be pushed as a placeholder and filled in afterwards; a poll that read the
    // placeholder moved its watermark past it and that message never reached the client.
    const secret = host.config.channels.directLine.secret!;
    const gen = (await (await post('/v3/directline/tokens/generate', secret, { user: { id: `dl_${randomUUID()}` } })).json()) as { token: string; conversationId: string };
    await post('/v3/directline/conversations', gen.token);
    const texts: string[] = [];
    let watermark = '';
    let posting = true;
    const polling = (async () => {
      while (posting || watermark === '') {
        const body = (await (await get(`/v3/directline/conversations/${gen.conversationId}/activities${watermark ? `?watermark=${watermark}` : ''}`, gen.token)).json()) as { activities: DlActivity[]; watermark: string };
        watermark = body.watermark;
        texts.push(...body.activities.map((a) => a.text ?? ''));
      }
    })();
    const sends = Array.from({ length: 60 }, (_, i) =>
      fetch(`${host.url}/v3/conversations/${gen.conversationId}/activities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: `proactive ${i}` }) }),
    );
    expect((await Promise.all(sends)).every((r) => r.status === 200)).toBe(true);
    posting = false;
    await polling;
    const last = (await (await get(`/v3/directline/conversations/${gen.conversationId}/activities?watermark=${watermark}`, gen.token)).json()) as { activities: DlActivity[] };
    texts.push(...last.activities.map((a) => a.text ?? ''));
    const proactive = texts.filter((t) => t.startsWith('proactive '));
    expect(new Set(proactive).size).toBe(60);
    expect(proactive).toHaveLength(60);
  });

  it('refuses bad credentials, other conversations and untrusted origins', async () => {
    const secret = host.config.channels.directLine.secret!;
    expect((await post('/v3/directline/tokens/generate', 'not-the-secret')).status).toBe(401);
    const a = (await (await post('/v3/directline/tokens/generate', secret, { user: { id: 'dl_a' }, trustedOrigins: [origin] })).json()) as { token: string; conversationId: string };
    const b = (await (await post('/v3/directline/tokens/generate', secret, { user: { id: 'dl_b' } })).json()) as { token: string; conversationId: string };
    await post('/v3/directline/conversations', b.token);
    expect((await get(`/v3/directline/conversations/${b.conversationId}/activities`, a.token)).status).toBe(403);
    expect((await get(`/v3/directline/conversations/${b.conversationId}/activities`, `${b.token}x`)).status).toBe(401);
    const evil = await fetch(`${host.url}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    // The Bot Connector routes only accept replies for conversations this Direct Line started.
    const stray = await fetch(`${host.url}/v3/conversations/unknown-conv/activities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: 'x' }) });
    expect(stray.status).toBe(404);
  });
});

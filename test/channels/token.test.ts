/**
 * POST /api/webchat/token against the development Direct Line (the production code path): a token bound to a
 * `dl_` user, the secret in no response, page or log, the Origin check and the per-IP limit. Real Redis db 7.
 */
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';

let host: TestHost;
let origin: string;
const SECRET = 'test-direct-line-secret-0123456789abcdef';

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  host = await startHost('token', 7, { PORT: String(port), PUBLIC_BASE_URL: origin, DIRECT_LINE_SECRET: SECRET, RATE_LIMIT_IP_PER_MINUTE: '4' });
});

afterAll(async () => {
  await host?.stop();
});

const ask = (headers: Record<string, string>) => fetch(`${host.url}/api/webchat/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

it('issues a user-bound token that works on the Direct Line, and the secret appears nowhere', async () => {
  const res = await ask({ origin });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const text = await res.text();
  expect(text).not.toContain(SECRET);
  const body = JSON.parse(text) as { token: string; domain: string; expiresIn: number };
  expect(body.expiresIn).toBeGreaterThan(60);
  const started = await fetch(`${body.domain}/conversations`, { method: 'POST', headers: { authorization: `Bearer ${body.token}`, origin } });
  expect(started.status).toBe(201);
  const page = await (await fetch(`${host.url}/chat`)).text();
  const script = await (await fetch(`${host.url}/chat/assets/chat.js`)).text();
  for (const t of [page, script, host.logs.join('')]) expect(t).not.toContain(SECRET);
  // The user is an unguessable dl_ id chosen by the server, bound in the token.
  const { conversationId } = (await started.json()) as { conversationId: string };
  expect(await host.redis.hget(`${host.prefix}:{dl:${conversationId}}`, 'user')).toMatch(/^dl_[0-9a-f]{32}$/);
});

it('refuses a missing or foreign Origin', async () => {
  expect((await ask({})).status).toBe(403);
  expect((await ask({ origin: 'https://evil.example' })).status).toBe(403);
});

it('limits tokens per IP', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i += 1) statuses.push((await ask({ origin })).status);
  expect(statuses).toContain(429);
  expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
});

/**
 * End to end over HTTP: the real host, real Redis, activities posted the way a channel posts them.
 */
import http from 'node:http';
import { buttonsOf, Conversation, startHost, textOf, type TestHost } from '../helpers/host';
import { waitFor } from '../helpers/wait';
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { isLoopbackUrl } from '../../bot/activitySchema';

let host: TestHost;

beforeAll(async () => {
  host = await startHost('http', 10, { PRACTICE_NAME: 'Lakeside Clinic', PRACTICE_PHONE: '(555) 222-3333' });
});
afterAll(async () => {
  await host.stop();
});

describe('conversation over expectReplies', () => {
  it('welcomes a new web chat patient with the top tasks as buttons', async () => {
    const replies = await new Conversation(host).join();
    expect(textOf(replies)).toContain('Lakeside Clinic');
    expect(buttonsOf(replies)).toEqual(['Recover my username', 'Reset my password', "My enrollment token doesn't work", 'Talk to a person']);
  });

  it('answers an FAQ from the knowledge base', async () => {
    const replies = await new Conversation(host).say('do i need a different account to use the portal on my ipad');
    expect(textOf(replies)).toMatch(/separate account/i);
  });

  it('fills practice details into answers', async () => {
    const replies = await new Conversation(host).say('my enrollment token does not work');
    const text = textOf(replies);
    expect(text).toMatch(/new token/i);
    expect(text).not.toMatch(/\{practice\w+\}/);
  });

  it('asks "did you mean" when two entries are close', async () => {
    const c = new Conversation(host);
    const replies = await c.say('token');
    expect(textOf(replies)).toMatch(/did you mean/i);
    const buttons = buttonsOf(replies);
    expect(buttons.length).toBeGreaterThanOrEqual(3);
    expect(buttons).toContain('Something else');
    // Picking a candidate answers it and offers its action (a main-menu task would start at once).
    const picked = await c.say(String(buttons.indexOf("My enrollment token doesn't work") + 1));
    expect(textOf(picked)).toMatch(/new token/i);
    expect(buttonsOf(picked)).toEqual(['Yes', 'No']);
  });

  it('says honestly when a question is out of scope, and offers a person after two misses', async () => {
    const c = new Conversation(host);
    const first = textOf(await c.say('I need a refill on my blood pressure prescription'));
    expect(first).toMatch(/don't have an answer/i);
    const second = await c.say('what is the copay for a specialist visit');
    expect(textOf(second)).toMatch(/talk to a person/i);
    expect(buttonsOf(second)).toEqual(['Yes', 'No']);
    const third = textOf(await c.say('yes'));
    expect(third).toContain('(555) 222-3333');
  });

  it('answers emergencies with 911 before anything else, even inside a dialog', async () => {
    const c = new Conversation(host);
    expect(textOf(await c.say('I have crushing chest pain right now'))).toMatch(/911/);
    await c.say('I forgot my password');
    const replies = await c.say("i can't breathe");
    expect(textOf(replies)).toMatch(/911/);
  });

  it('says "you\'re welcome" to thanks, without counting a miss', async () => {
    const c = new Conversation(host);
    expect(textOf(await c.say('what is the copay for a specialist visit'))).toMatch(/don't have an answer/i);
    expect(textOf(await c.say('ok thanks!'))).toMatch(/welcome/i);
    expect(textOf(await c.say('can you refill my inhaler'))).toMatch(/don't have an answer/i); // a first miss again
  });

  it('answers "help" at the menu, and explains the question inside a flow', async () => {
    const c = new Conversation(host);
    await c.join();
    expect(textOf(await c.say('help'))).not.toMatch(/waiting for your answer/);
    const d = new Conversation(host);
    await d.say('I forgot my username');
    await d.say('yes');
    expect(textOf(await d.say('help'))).toMatch(/waiting for your answer/);
    expect(textOf(await d.say('please cancel'))).toMatch(/stopped that/i);
  });

  it('does not read SMS "r" (are) as a request reference', async () => {
    expect(textOf(await new Conversation(host, 'sms').say('r thanks'))).not.toMatch(/reference/i);
  });

  it('lets "cancel" stop a dialog and go back to the menu', async () => {
    const c = new Conversation(host);
    const offer = await c.say('how do I reset my password');
    expect(buttonsOf(offer)).toEqual(['Yes', 'No']);
    const cancelled = await c.say('cancel');
    expect(textOf(cancelled)).toMatch(/stopped that/i);
    expect(buttonsOf(cancelled)).toContain('Reset my password');
  });

  it('accepts typed words or a choice number in place of a button', async () => {
    const c = new Conversation(host);
    await c.join();
    expect(textOf(await c.say('4'))).toContain('(555) 222-3333');
    const d = new Conversation(host);
    await d.join();
    expect(textOf(await d.say('reset my password'))).toMatch(/verified account email or your username/);
  });
});

describe('channels', () => {
  it('SMS gets numbered plain text and accepts the number as the answer', async () => {
    const c = new Conversation(host, 'sms');
    const menu = await c.say('hi');
    expect(textOf(menu)).toMatch(/Reply 1 for Recover my username/);
    expect(buttonsOf(menu)).toEqual([]);
    const picked = await c.say('4');
    expect(textOf(picked)).toContain('(555) 222-3333');
    const offer = textOf(await new Conversation(host, 'sms').say('how do i reset my pw'));
    expect(offer).toMatch(/Reply YES or NO$/);
  });

  it('Teams gets a hero card with at most three buttons', async () => {
    const c = new Conversation(host, 'msteams');
    const replies = await c.join();
    const card = replies.find((r) => r.attachments?.length)?.attachments?.[0];
    expect(card?.contentType).toBe('application/vnd.microsoft.card.hero');
    expect(card?.content.buttons).toHaveLength(3);
    expect(card?.content.text).toContain('Talk to a person');
  });
});

describe('malformed requests', () => {
  const post = (body: string, type = 'application/json') =>
    fetch(`${host.url}/api/messages`, { method: 'POST', headers: { 'content-type': type }, body });

  it('rejects bad bodies with a 4xx and a short reason', async () => {
    const c = new Conversation(host);
    const cases: Array<[string, number, RegExp]> = [
      ['{not json', 400, /json/i],
      [JSON.stringify({ text: 'hi', conversation: { id: 'x' }, channelId: 'webchat', deliveryMode: 'expectReplies' }), 400, /type/],
      [JSON.stringify({ type: 'message', text: 'hi', channelId: 'webchat', deliveryMode: 'expectReplies' }), 400, /conversation\.id/],
      [JSON.stringify(c.activity({ type: 'message', text: 'x'.repeat(5001) })), 400, /5000/],
      [JSON.stringify({ type: 'message', conversation: { id: 'x' }, channelId: 'webchat' }), 400, /serviceUrl/],
      ['[1,2,3]', 400, /activity/],
      [JSON.stringify({ ...c.activity({ type: 'message', text: 'hi' }), deliveryMode: 'normal', serviceUrl: 'https://attacker.example/' }), 400, /serviceUrl must be on this machine/],
      [JSON.stringify(c.activity({ type: 'message', text: 'hi', padding: 'x'.repeat(300 * 1024) })), 413, /larger/],
    ];
    for (const [body, status, reason] of cases) {
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(reason);
    }
    const res = await post('hello', 'text/plain');
    expect(res.status).toBe(400);
    // The host is still serving.
    expect(textOf(await c.say('hello'))).toMatch(/portal help assistant/);
  });

  it('reports health from Redis: 503 while Redis is down, 200 again once it is back', async () => {
    const ok = await fetch(`${host.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', checks: { redis: 'ok', mailQueue: 'ok' } });

    // A Redis of this test's own that it can stop and start.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const startRedis = async () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      await waitFor(() => probe.ping().then(() => true, () => false), { timeoutMs: 5_000, intervalMs: 50, what: `redis-server on port ${port} to answer` });
      probe.disconnect();
      return child;
    };
    const stopRedis = (child: ChildProcess) => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

    let server = await startRedis();
    // No mail worker: this test restarts Redis under it, and it is not about mail.
    const own = await startHost('health', 10, { REDIS_URL: `redis://127.0.0.1:${port}` }, { mailWorker: false });
    try {
      expect((await fetch(`${own.url}/healthz`)).status).toBe(200);
      await stopRedis(server);
      const down = await fetch(`${own.url}/healthz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('10');
      expect(await down.json()).toMatchObject({ status: 'unavailable', checks: { redis: 'failing', mailQueue: 'failing' } });
      server = await startRedis();
      await waitFor(async () => (await fetch(`${own.url}/healthz`)).status === 200, { timeoutMs: 5_000, intervalMs: 50, what: '/healthz to be 200 again' });
    } finally {
      await own.app.close();
      own.redis.disconnect();
      await stopRedis(server);
    }
  });
});

describe('concurrency', () => {
  it('runs simultaneous turns of one conversation one at a time: no step lost or run twice', async () => {
    const c = new Conversation(host);
    const n = 8;
    const all = await Promise.all(Array.from({ length: n }, (_, i) => c.say(`what is the weather like on planet ${i}`)));
    const texts = all.map(textOf);
    // Serialised: exactly one first miss, then n-1 "still don't know" replies.
    expect(texts.filter((t) => /don't have an answer/i.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /still don't know/i.test(t))).toHaveLength(n - 1);
    const raw = await host.redis.hget(`${host.prefix}:{conv:webchat/${c.id}}:state`, 'doc');
    expect(JSON.parse(raw ?? '{}').session.misses).toBe(n);
  });
});

describe('normal delivery', () => {
  it('posts replies to the activity serviceUrl (a development connector named in DEV_CONNECTOR_PORTS)', async () => {
    const received: Array<{ url: string; body: { text?: string } }> = [];
    const connector = http.createServer((req, res) => {
      let data = '';
      req.on('data', (d) => (data += d));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body: JSON.parse(data || '{}') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `r${received.length}` }));
      });
    });
    // The connector first, so the host can be told its port.
    await new Promise<void>((r) => connector.listen(0, '127.0.0.1', () => r()));
    const port = (connector.address() as { port: number }).port;
    const own = await startHost('http-connector', 10, { DEV_CONNECTOR_PORTS: String(port) }, { mailWorker: false });
    try {
      const c = new Conversation(own);
      const { status } = await c.post({
        ...c.activity({ type: 'message', text: 'can I use the portal on my phone', id: 'incoming-1' }),
        deliveryMode: undefined,
        serviceUrl: `http://127.0.0.1:${port}`,
      });
      expect(status).toBe(200);
      expect(received).toHaveLength(1);
      expect(received[0].url).toBe(`/v3/conversations/${c.id}/activities/incoming-1`);
      expect(received.map((r) => r.body.text ?? '').join(' ')).toMatch(/separate account/i);
    } finally {
      await own.stop();
      connector.close();
    }
  });
});

describe('service URLs while authentication is disabled', () => {
  it('refuses look-alike loopback hosts and local ports that are not connectors (a reply was POSTed to Redis)', async () => {
    const c = new Conversation(host);
    const ownPort = Number(new URL(host.url).port);
    const refused = [
      'http://127.0.0.1.nip.io:4499/',
      'http://127.evil.example/',
      'https://127.0.0.1.attacker.example/',
      `http://127.0.0.1:6379/`, // Redis
      'http://localhost:22/',
      'http://[::1]:6379/',
      'http://127.0.0.1/', // port 80 is not the host's nor a connector's
      `http://user:pw@127.0.0.1:${ownPort}/`,
      `ftp://127.0.0.1:${ownPort}/`,
      'http://0.0.0.0:4499/',
      'http://10.0.0.1/',
    ];
    for (const serviceUrl of refused) {
      const res = await c.post({ ...c.activity({ type: 'message', text: 'hi' }), deliveryMode: 'normal', serviceUrl });
      expect({ serviceUrl, status: res.status }).toEqual({ serviceUrl, status: 400 });
      expect(res.body.error).toMatch(/serviceUrl must be on this machine/);
    }
  });

  it("accepts only 127.0.0.0/8 literals, localhost and [::1] at the host's own port or a DEV_CONNECTOR_PORTS port", () => {
    const ports = [3978, 4499];
    for (const url of ['http://127.0.0.1:3978/', 'http://127.1.2.3:4499/x', 'http://localhost:3978', 'http://[::1]:4499/', 'http://127.1:3978/']) {
      expect({ url, ok: isLoopbackUrl(url, ports) }).toEqual({ url, ok: true });
    }
    for (const url of ['http://127.0.0.1:6379/', 'http://127.0.0.1.nip.io:4499/', 'http://127.evil.example:3978/', 'http://localhost.evil:3978/', 'http://128.0.0.1:3978/', 'not a url']) {
      expect({ url, ok: isLoopbackUrl(url, ports) }).toEqual({ url, ok: false });
    }
  });
});

describe('activity shapes the bot reads', () => {
  it('answers 400 with a clear reason for membersAdded/membersRemoved/attachments/entities of the wrong shape', async () => {
    const c = new Conversation(host);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'conversationUpdate', membersAdded: { id: 'u1' } }, /membersAdded: must be an array of accounts/],
      [{ type: 'conversationUpdate', membersAdded: 'u1' }, /membersAdded: must be an array of accounts/],
      [{ type: 'conversationUpdate', membersAdded: [{ id: 42 }] }, /membersAdded\.0\.id: id must be a string/],
      [{ type: 'conversationUpdate', membersAdded: ['u1'] }, /membersAdded\.0: must be an account object/],
      [{ type: 'conversationUpdate', membersRemoved: 7 }, /membersRemoved: must be an array of accounts/],
      [{ type: 'message', text: 'hi', attachments: { contentType: 'image/png' } }, /attachments: must be an array/],
      [{ type: 'message', text: 'hi', attachments: [{ name: 'x' }] }, /attachments\.0\.contentType/],
      [{ type: 'message', text: 'hi', entities: 'clientInfo' }, /entities: must be an array/],
      [{ type: 'message', text: 'hi', channelData: 'x' }, /channelData: must be an object/],
    ];
    for (const [extra, reason] of cases) {
      const res = await c.post(c.activity(extra));
      expect({ extra, status: res.status }).toEqual({ extra, status: 400 });
      expect(res.body.error).toMatch(reason);
    }
  });

  it('accepts valid Bot Framework activities with these fields (null lists, entities, any value)', async () => {
    const c = new Conversation(host);
    const ok: Array<Record<string, unknown>> = [
      { type: 'conversationUpdate', membersAdded: [{ id: c.userId, name: 'Pat', role: 'user' }, { id: 'bot' }], membersRemoved: null },
      { type: 'conversationUpdate', membersRemoved: [{ id: c.userId }] },
      { type: 'message', text: 'hi', entities: [{ type: 'clientInfo', locale: 'en-US' }], attachments: [], channelData: { clientActivityID: 'x' } },
      { type: 'message', text: 'hi', value: 'a postBack string', attachments: null },
      { type: 'message', text: 'hi', value: { action: 'x' } },
      { type: 'message', attachments: [{ contentType: 'image/png', contentUrl: 'https://example.org/a.png' }] },
      { type: 'typing' },
    ];
    for (const extra of ok) {
      const res = await c.post(c.activity({ id: randomUUID(), ...extra }));
      expect({ extra, status: res.status }).toEqual({ extra, status: 200 });
    }
  });
});

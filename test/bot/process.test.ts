/**
 * The bot as an operator runs it (`tsx bot/index.ts`, as `npm start` does): bad configuration exits 1
 * naming every bad variable; SIGTERM lets a turn in flight finish, then exits 0.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { connectTestRedis, deletePrefix, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function run(env: Record<string, string>) {
  const child = spawn(TSX, ['bot/index.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

it('exits 1 with one message naming every bad variable', async () => {
  const p = run({ NODE_ENV: 'production', PORT: 'eighty', PRACTICE_TIMEZONE: 'Nowhere/Town' });
  expect(await p.exited).toBe(1);
  const err = p.err();
  for (const name of ['PORT', 'PRACTICE_TIMEZONE', 'MicrosoftAppId', 'REDIS_URL', 'SMTP_URL', 'SERVER_SECRET']) expect(err).toContain(`${name}:`);
  expect(err).not.toMatch(/at .+\.ts:\d+/); // no stack trace
});

it('finishes a turn in flight on SIGTERM, then exits 0', async () => {
  const prefix = uniquePrefix('process');
  const redis = connectTestRedis(10);
  const port = await freePort();
  const p = run({
    PORT: String(port),
    REDIS_URL: testRedisUrl(10),
    REDIS_KEY_PREFIX: prefix,
    OUTBOX_DIR: path.join(os.tmpdir(), `${prefix}-outbox`),
    LOG_LEVEL: 'info',
  });
  try {
    await waitFor(
      () => {
        if (p.child.exitCode !== null) throw new Error(`the bot exited with ${p.child.exitCode} before listening:\n${p.err()}`);
        return /listening on port/.test(p.out());
      },
      { timeoutMs: 20_000, what: 'the bot to listen' },
    );
    // Start a request and hold back the end of its body, so it is surely in flight when SIGTERM lands:
    // `Expect: 100-continue` makes the server answer "100 Continue" once it has taken the request, which
    // is the signal to send SIGTERM; the body is finished once the bot logged that it is shutting down.
    const body = JSON.stringify({
      type: 'message',
      text: 'how do I enroll in the portal',
      channelId: 'webchat',
      conversation: { id: `${prefix}-c1` },
      from: { id: 'u1' },
      recipient: { id: 'bot' },
      deliveryMode: 'expectReplies',
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/messages',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
        },
        (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on('error', reject);
      req.once('continue', () => {
        req.write(body.slice(0, 20));
        p.child.kill('SIGTERM');
        waitFor(() => /shutting down/.test(p.out()), { timeoutMs: 10_000, what: 'the bot to log that it is shutting down' }).then(
          () => req.end(body.slice(20)),
          reject,
        );
      });
      req.flushHeaders();
    });
    const res = await response;
    expect(res.status).toBe(200);
    const { activities } = JSON.parse(res.body) as { activities: Array<{ type: string; text?: string }> };
    // The enrollment answer, not an error reply.
    expect(activities.map((a) => a.text ?? '').join(' ')).toMatch(/enroll/i);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/shutdown complete/);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}, 30000);

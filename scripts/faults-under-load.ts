/**
 * Faults under load (issue 11): two bot instances (child processes, `tsx bot/index.ts`) behind a round-robin
 * "load balancer", one Redis of this script's own (AOF, appendfsync always, on a free port: never the shared
 * 6379) and a real SMTP server, under concurrent load of practice-request conversations (6 turns each:
 * offer, yes, first name, last name, date of birth, contact → reference R-XXXXXX and a staff notification mail).
 * During the load: Redis is killed (SIGKILL) and restarted once, one bot instance is killed (SIGKILL) and
 * started again, and SMTP is stopped for a while. Then it reports:
 *
 * - requests answered: 2xx, or a clear "temporarily unavailable" (HTTP 200 with that reply, or 503), against
 *   other statuses and connections dropped (requests in flight on the killed instance);
 * - acknowledged turns lost: a turn the bot acknowledged (its reply moved the flow on) whose data is missing
 *   later — the flow went back, or the filed request lacks what was typed (target 0);
 * - mails lost (an acknowledged request whose notification never arrived) and duplicated (target 0).
 *
 * A conversation whose request got no answer at all (its instance died) is abandoned, as a patient would start
 * again; a turn answered "temporarily unavailable" is sent again.
 *
 *   npm run faults                                   # 10 connections, 20 s, Redis down 3 s, SMTP down 30 s
 *   npm run faults -- --connections 4 --seconds 8 --smtp-outage 4
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Queue } from 'bullmq';
import { Keys } from '../services/redis';
import { RedisRequestQueue } from '../services/requests';
import { OUTBOX_QUEUE, outboxPrefix } from '../services/mail/outbox';
import { startTestSmtp, type ParsedMail, type TestSmtp } from '../test/helpers/smtp';
import { freePort } from '../test/helpers/net';

export interface FaultOptions {
  connections: number;
  seconds: number;
  /** When (s after the start) Redis is killed, and how long it stays down before it is started again. */
  redisRestartAt: number;
  redisDownSeconds: number;
  /** When (s) one bot instance is killed; it is started again `botDownSeconds` later. */
  botKillAt: number;
  botDownSeconds: number;
  /** When (s) SMTP stops, and for how long. */
  smtpStopAt: number;
  smtpOutageSeconds: number;
  /** Longest wait for the queued mail after the load (s). */
  mailWaitSeconds: number;
  log?: (line: string) => void;
}

export const DEFAULTS: FaultOptions = {
  connections: 10,
  seconds: 20,
  redisRestartAt: 5,
  redisDownSeconds: 3,
  botKillAt: 10,
  botDownSeconds: 3,
  smtpStopAt: 8,
  smtpOutageSeconds: 30,
  mailWaitSeconds: 120,
};

export interface FaultReport {
  requests: { total: number; ok2xx: number; unavailable: number; turnErrors: number; http503: number; other4xx: number; http5xx: number; dropped: number };
  /**
   * `doneThoughUnavailable`: the last step was answered "temporarily unavailable" but the request had been filed
   * (the turn committed, then missed its deadline), so the patient's retry met a finished flow. Not lost: the
   * request is there, complete, and its notice went out; but the patient was told it failed.
   */
  turns: { acknowledged: number; retried: number; unexpected: number; lost: number; doneThoughUnavailable: number };
  flows: { started: number; completed: number; abandoned: number };
  requestsFiled: number;
  requestsWrong: number;
  mails: { expected: number; delivered: number; lost: number; duplicated: number };
  faults: string[];
  unexpectedSamples: string[];
  /** When the last conversation ended, and when the mail had settled (s from the start). */
  seconds: number;
  mailSettledSeconds: number;
}

const UNAVAILABLE = /temporarily unavailable|still working on your previous message/i;
/** The turn-error reply: an answer, but not a clear "temporarily unavailable" (the patient is asked to try again). */
const TURN_ERROR = /something went wrong on our side/i;
const SECRET = 'faults-under-load-secret-0123456789-abcdef';
const NOTIFY = 'frontdesk@faults.test';

/** The steps of one practice request and what acknowledges each. */
function flowSteps(n: number): Array<{ text: string; ack: RegExp }> {
  const letters = (k: number) => Array.from(k.toString(26)).map((d) => String.fromCharCode(97 + parseInt(d, 26))).join('');
  const first = `Zyq${letters(n)}`; // "Zyq…"/"Xvw…": never read as a KB word (a name like "Fant" is typo-corrected to "faint": emergency)
  const last = `Xvw${letters(n * 7 + 3)}`;
  const month = String((n % 12) + 1).padStart(2, '0');
  const day = String((n % 28) + 1).padStart(2, '0');
  return [
    { text: "my enrollment token isn't working", ack: /token/i },
    { text: 'yes', ack: /first name/i },
    { text: first, ack: /last name/i },
    { text: last, ack: /date of birth/i },
    { text: `${month}/${day}/1970`, ack: /email|phone/i },
    { text: `load-${n}@example.org`, ack: /R-[2-9A-Z]{6}/ },
  ];
}

// ── processes ─────────────────────────────────────────────────────────────────────────────────────────────

interface OwnRedis {
  port: number;
  kill(): Promise<void>;
  start(): Promise<void>;
}

async function waitUntil(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ownRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const pings = async () => {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } finally {
      probe.disconnect();
    }
  };
  const self: OwnRedis = {
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
      await waitUntil(`redis-server on ${port}`, 10_000, pings);
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
  await self.start();
  return self;
}

interface BotInstance {
  url: string;
  up: boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  fatalLines: number;
}

async function botInstance(env: Record<string, string>): Promise<BotInstance> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  const self: BotInstance = {
    url,
    up: false,
    fatalLines: 0,
    async start() {
      child = spawn(process.execPath, ['--import', 'tsx', 'bot/index.ts'], {
        cwd: path.resolve(__dirname, '..'),
        env: { ...process.env, ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // FAULTS_LOG_FILE: the instances' JSON logs (ids, intents, errors; never message text) appended there.
      const logFile = process.env.FAULTS_LOG_FILE;
      child.stdout?.on('data', (b: Buffer) => {
        self.fatalLines += (b.toString().match(/"level":60/g) ?? []).length;
        if (logFile) fs.appendFileSync(logFile, b);
      });
      child.stderr?.on('data', () => undefined);
      await waitUntil(`the bot on ${port}`, 60_000, async () => (await fetch(`${url}/healthz`)).status === 200);
      self.up = true;
    },
    async kill() {
      const c = child;
      self.up = false;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
    async stop() {
      const c = child;
      self.up = false;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        c.kill('SIGTERM');
      });
    },
  };
  await self.start();
  return self;
}

// ── the run ───────────────────────────────────────────────────────────────────────────────────────────────

export async function runFaults(options: Partial<FaultOptions> = {}): Promise<FaultReport> {
  const o: FaultOptions = { ...DEFAULTS, ...options };
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-redis-'));
  const prefix = `faults-${randomUUID().slice(0, 8)}`;
  const redis = await ownRedis(dir);
  let smtp: TestSmtp = await startTestSmtp();
  const smtpPort = smtp.port;
  // Every mail any of the SMTP servers (one per outage) received, each once.
  const received = new Set<ParsedMail>();
  const collect = (s: TestSmtp) => setInterval(() => s.messages.forEach((m) => received.add(m)), 50);
  let collector = collect(smtp);
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    REDIS_KEY_PREFIX: prefix,
    SMTP_URL: smtp.url,
    PRACTICE_NOTIFY_EMAIL: NOTIFY,
    SERVER_SECRET: SECRET,
    PRACTICE_HOURS: 'Mon-Sun 00:00-23:59',
    STAFF_NOTIFY_PER_HOUR: '10000',
    RATE_LIMIT_CONVERSATION_PER_MINUTE: '10000',
    TURN_DEADLINE_MS: '4000',
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    RECOVERY_MIN_MS: '0',
  };
  const report: FaultReport = {
    requests: { total: 0, ok2xx: 0, unavailable: 0, turnErrors: 0, http503: 0, other4xx: 0, http5xx: 0, dropped: 0 },
    turns: { acknowledged: 0, retried: 0, unexpected: 0, lost: 0, doneThoughUnavailable: 0 },
    flows: { started: 0, completed: 0, abandoned: 0 },
    requestsFiled: 0,
    requestsWrong: 0,
    mails: { expected: 0, delivered: 0, lost: 0, duplicated: 0 },
    faults: [],
    unexpectedSamples: [],
    seconds: 0,
    mailSettledSeconds: 0,
  };
  const bots = [await botInstance(env), await botInstance(env)];
  log(`faults: 2 bot instances up, Redis on ${redis.port} (AOF always), SMTP on ${smtpPort}; ${o.connections} connections for ${o.seconds} s`);

  const filed: Array<{ ref: string; steps: Array<{ text: string }> }> = [];
  /** Flows whose last step met an unexpected reply after an "unavailable" one: filed or lost? Checked at the end. */
  const unclear: Array<{ steps: Array<{ text: string }>; acknowledged: number }> = [];
  let next = 0;
  let flowNo = 0;
  const started = Date.now();
  const end = started + o.seconds * 1000;
  const at = (s: number) => started + s * 1000;
  const fault = (what: string) => {
    report.faults.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
    log(`faults: ${what}`);
  };

  /** Picks the next live instance (a load balancer's health check), round robin. */
  const pick = () => {
    for (let i = 0; i < bots.length; i += 1) {
      const b = bots[next++ % bots.length] as BotInstance;
      if (b.up) return b;
    }
    return bots[0] as BotInstance;
  };

  async function send(conversation: string, user: string, text: string): Promise<{ kind: 'reply'; text: string } | { kind: 'unavailable' } | { kind: 'dropped' } | { kind: 'error'; status: number }> {
    const bot = pick();
    report.requests.total += 1;
    const body = { type: 'message', id: randomUUID(), channelId: 'webchat', serviceUrl: 'http://127.0.0.1:9/unused', conversation: { id: conversation }, from: { id: user }, recipient: { id: 'bot' }, deliveryMode: 'expectReplies', text };
    let res: Response;
    try {
      res = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    } catch {
      report.requests.dropped += 1;
      return { kind: 'dropped' };
    }
    const raw = await res.text().catch(() => '');
    if (res.status === 503) {
      report.requests.http503 += 1;
      return { kind: 'unavailable' };
    }
    if (res.status >= 500) {
      report.requests.http5xx += 1;
      return { kind: 'error', status: res.status };
    }
    if (res.status >= 300) {
      report.requests.other4xx += 1;
      return { kind: 'error', status: res.status };
    }
    report.requests.ok2xx += 1;
    let reply: string;
    try {
      const parsed = JSON.parse(raw) as { activities?: Array<{ type: string; text?: string }> };
      reply = (parsed.activities ?? []).filter((a) => a.type === 'message').map((a) => a.text ?? '').join('\n');
    } catch {
      reply = '';
    }
    if (UNAVAILABLE.test(reply)) {
      report.requests.unavailable += 1;
      return { kind: 'unavailable' };
    }
    if (TURN_ERROR.test(reply)) {
      report.requests.turnErrors += 1;
      return { kind: 'unavailable' };
    }
    return { kind: 'reply', text: reply };
  }

  async function virtualUser(): Promise<void> {
    // New flows start until `end`; a flow under way is finished (up to 20 s more) so its data can be checked.
    while (Date.now() < end) {
      const n = (flowNo += 1);
      const steps = flowSteps(n);
      const conversation = `load-${randomUUID()}`;
      const user = `user-${randomUUID()}`;
      report.flows.started += 1;
      let i = 0;
      let tries = 0;
      let ref = '';
      while (i < steps.length) {
        const step = steps[i] as { text: string; ack: RegExp };
        const r = await send(conversation, user, step.text);
        if (r.kind === 'dropped' || r.kind === 'error' || Date.now() > end + 20_000 || tries > 40) {
          report.flows.abandoned += 1;
          break;
        }
        if (r.kind === 'unavailable') {
          report.turns.retried += 1;
          tries += 1;
          await new Promise((res) => setTimeout(res, 300));
          continue;
        }
        if (!step.ack.test(r.text)) {
          // An acknowledged step was forgotten (the flow went back) or the reply is not what this step gets.
          report.turns.unexpected += 1;
          if (i === steps.length - 1 && tries > 0) unclear.push({ steps, acknowledged: i });
          else if (i > 0) report.turns.lost += i;
          if (report.unexpectedSamples.length < 5) report.unexpectedSamples.push(`step ${i}: ${r.text.slice(0, 120)}`);
          report.flows.abandoned += 1;
          break;
        }
        report.turns.acknowledged += 1;
        if (i === steps.length - 1) ref = /R-[2-9A-Z]{6}/.exec(r.text)?.[0] ?? '';
        i += 1;
      }
      if (ref) {
        report.flows.completed += 1;
        filed.push({ ref, steps });
      }
    }
  }

  const timeline = (async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, at(o.redisRestartAt) - Date.now())));
    fault('Redis killed (SIGKILL)');
    await redis.kill();
    await new Promise((r) => setTimeout(r, o.redisDownSeconds * 1000));
    await redis.start();
    fault('Redis restarted');
    await new Promise((r) => setTimeout(r, Math.max(0, at(o.smtpStopAt) - Date.now())));
    fault('SMTP stopped');
    clearInterval(collector);
    smtp.messages.forEach((m) => received.add(m));
    await smtp.stop();
    const smtpBack = (async () => {
      await new Promise((r) => setTimeout(r, o.smtpOutageSeconds * 1000));
      smtp = await startTestSmtp(smtpPort);
      collector = collect(smtp);
      fault('SMTP started again');
    })();
    await new Promise((r) => setTimeout(r, Math.max(0, at(o.botKillAt) - Date.now())));
    fault('bot instance 2 killed (SIGKILL)');
    await (bots[1] as BotInstance).kill();
    await new Promise((r) => setTimeout(r, o.botDownSeconds * 1000));
    await (bots[1] as BotInstance).start();
    fault('bot instance 2 started again');
    await smtpBack;
  })();

  await Promise.all([...Array.from({ length: o.connections }, () => virtualUser()), timeline]);
  report.seconds = Math.round((Date.now() - started) / 1000);

  // The filed requests hold exactly what was typed.
  const admin = new Redis(redis.port, '127.0.0.1');
  const requests = new RedisRequestQueue({ redis: admin, keys: new Keys(prefix), serverSecret: SECRET });
  for (const f of filed) {
    const r = await requests.get(f.ref);
    const [, , first, last, dob, contact] = f.steps.map((s) => s.text);
    const [m, d, y] = (dob ?? '').split('/');
    const ok = r && r.firstName === first && r.lastName === last && r.dateOfBirth === `${y}-${m}-${d}` && r.contact.email === contact;
    if (ok) report.requestsFiled += 1;
    else report.requestsWrong += 1;
  }
  report.turns.lost += report.requestsWrong;
  if (unclear.length) {
    const all = await requests.list();
    for (const u of unclear) {
      const [, , first, last, , contact] = u.steps.map((s) => s.text);
      const found = all.find((r) => r.firstName === first && r.lastName === last && r.contact.email === contact);
      if (found) {
        report.turns.doneThoughUnavailable += 1;
        filed.push({ ref: found.requestId, steps: u.steps });
      } else {
        report.turns.lost += u.acknowledged;
      }
    }
  }

  // Every acknowledged request's notification arrives once (the queue retries through the SMTP outage).
  report.mails.expected = filed.length;
  const queue = new Queue(OUTBOX_QUEUE, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: outboxPrefix(prefix) });
  const countFor = (ref: string) => [...received].filter((m) => (m.text ?? '').includes(ref)).length;
  const mailEnd = Date.now() + o.mailWaitSeconds * 1000;
  for (;;) {
    smtp.messages.forEach((m) => received.add(m));
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
    const busy = Object.values(counts).reduce((a, b) => a + b, 0);
    if ((busy === 0 && filed.every((f) => countFor(f.ref) > 0)) || Date.now() > mailEnd) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  report.mailSettledSeconds = Math.round((Date.now() - started) / 1000);
  for (const f of filed) {
    const n = countFor(f.ref);
    if (n === 0) report.mails.lost += 1;
    else report.mails.delivered += 1;
    if (n > 1) report.mails.duplicated += n - 1;
  }
  clearInterval(collector);
  await queue.close();
  admin.disconnect();
  await Promise.all(bots.map((b) => b.stop()));
  await smtp.stop();
  await redis.kill();
  fs.rmSync(dir, { recursive: true, force: true });
  return report;
}

/** The report as the table docs/performance.md shows. */
export function formatReport(r: FaultReport, o: FaultOptions): string {
  const answered = r.requests.ok2xx + r.requests.http503;
  const pct = (n: number) => `${((100 * n) / Math.max(1, r.requests.total)).toFixed(2)} %`;
  return [
    `Faults under load: ${o.connections} connections, new conversations for ${o.seconds} s (the last ended at ${r.seconds} s, mail settled at ${r.mailSettledSeconds} s), 2 bot instances`,
    `faults: ${r.faults.join('; ')}`,
    '',
    '| what | count |',
    '|---|---|',
    `| requests sent | ${r.requests.total} |`,
    `| answered (2xx or a clear 503) | ${answered} (${pct(answered)}) |`,
    `|   of which "temporarily unavailable" (200 with that reply, or 503) | ${r.requests.unavailable + r.requests.http503} |`,
    `|   of which "something went wrong, try again" (200, not a clear 503) | ${r.requests.turnErrors} |`,
    `| dropped connections (in flight on the killed instance) | ${r.requests.dropped} |`,
    `| other 4xx / 5xx | ${r.requests.other4xx} / ${r.requests.http5xx} |`,
    `| turns acknowledged | ${r.turns.acknowledged} |`,
    `| **acknowledged turns lost** | **${r.turns.lost}** |`,
    `| unexpected replies | ${r.turns.unexpected} |`,
    `|   of which the request was filed although its last turn said "temporarily unavailable" | ${r.turns.doneThoughUnavailable} |`,
    `| conversations completed / abandoned | ${r.flows.completed} / ${r.flows.abandoned} |`,
    `| requests filed with exactly the typed data | ${r.requestsFiled} of ${r.requestsFiled + r.requestsWrong} |`,
    `| notification mails expected / delivered | ${r.mails.expected} / ${r.mails.delivered} |`,
    `| **mails lost / duplicated** | **${r.mails.lost} / ${r.mails.duplicated}** |`,
    ...(r.unexpectedSamples.length ? ['', `unexpected replies (first ${r.unexpectedSamples.length}):`, ...r.unexpectedSamples.map((s) => `  ${s}`)] : []),
  ].join('\n');
}

function parseArgs(argv: string[]): Partial<FaultOptions> {
  const out: Partial<FaultOptions> = {};
  const names: Record<string, keyof FaultOptions> = {
    '--connections': 'connections',
    '--seconds': 'seconds',
    '--redis-restart-at': 'redisRestartAt',
    '--redis-down': 'redisDownSeconds',
    '--bot-kill-at': 'botKillAt',
    '--smtp-stop-at': 'smtpStopAt',
    '--smtp-outage': 'smtpOutageSeconds',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i] as string];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0) throw new Error(`usage: npm run faults -- [${Object.keys(names).join(' N] [')} N]`);
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

if (require.main === module) {
  const options = { ...DEFAULTS, ...parseArgs(process.argv.slice(2)) };
  runFaults(options)
    .then((r) => {
      process.stdout.write(`${formatReport(r, options)}\n`);
      process.exit(r.turns.lost === 0 && r.mails.lost === 0 && r.mails.duplicated === 0 ? 0 : 1);
    })
    .catch((err: Error) => {
      process.stderr.write(`faults: ${err.message}\n`);
      process.exit(2);
    });
}

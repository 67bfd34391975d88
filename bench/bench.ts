/**
 * `npm run bench` — speed of the full bot against a stock echo bot, in one run (issue 11). A script that prints
 * numbers; nothing here is a timed test and nothing is asserted.
 *
 *   npm run bench -- [--rounds N] [--duration S] [--connections C] [--conversations K] [--flow-conversations F]
 *                    [--quick] [--faq-only] [--json] [--no-build] [--profile] [--recovery-min-ms MS] [--soak TURNS]
 *
 *  1. Matcher: `decide()` p50/p99 per query over the evaluation texts, on the real KB and on a synthetic
 *     1,000-entry KB (the real entries plus generated ones built from the KB's own vocabulary).
 *  2. Builds the bot (`npm run build`, unless --no-build) and starts two child processes on free loopback ports:
 *     - the bot: `node dist/bot/index.js`, real Redis (db 14, its own REDIS_KEY_PREFIX, deleted at the end),
 *       SERVER_SECRET set, LOG_LEVEL=warn, generous RATE_LIMIT_*; the demo accounts imported with the admin CLI;
 *     - the stock echo bot (bench/echo/index.mjs: restify 11 + CloudAdapter + MemoryStorage + ActivityHandler).
 *  3. For each mix, after a short warm-up of both, alternates them for N rounds (order swapped every round) with
 *     autocannon: C connections, `deliveryMode: "expectReplies"`.
 *     - faq:  the texts of bench/faq-mix.json in turn, over K rotating conversation ids;
 *     - flow: username recovery per conversation — "I forgot my username" → "yes" → an email (one in four the
 *             demo account's verified address, so a mail is really queued and written) — each connection
 *             running its flows one request after another, across F rotating conversation ids.
 *     Reports turns/s, p50/p99 latency (every response timed, sub-millisecond), the peak RSS of each server
 *     process (VmHWM from /proc/<pid>/status, plus VmRSS after every round so growth shows) and the median
 *     ratio bot/echo of turns/s.
 *  4. Redis commands per turn: a second connection runs MONITOR while turns are sent one at a time (FAQ texts,
 *     then each flow step across several conversations); commands naming the bot's key prefix are counted,
 *     Lua-internal calls excluded, idle background (the mail worker's polling) subtracted. Each counted command
 *     is one round trip unless pipelined; the breakdown per command shows which.
 *  5. --profile: a third run of the bot under `node --cpu-prof` for one FAQ round; the profile's CPU is split
 *     by package/folder (ms per turn and share).
 *  --faq-only: only step 3's FAQ mix (no matcher figures, flow mix or command counts): a quick A/B of the FAQ
 *     reply path.
 *  --soak N instead: the bot alone under the FAQ mix, `--duration`-second loads back to back until N turns were
 *     answered, VmRSS after each load and the growth from the first third of the loads to the last (RSS flat?).
 *
 * BENCH_BOT_DIR=/path/to/another/checkout benchmarks the bot built there (same bench, same echo bot), e.g. the
 * commit before a change; BENCH_REDIS_URL (default redis://127.0.0.1:6379) names the Redis server (db 14 is used).
 *
 * RECOVERY_MIN_MS (the recovery steps' deliberate timing floor, 250 ms in production) is 0 by default here, so
 * the flow mix measures work, not the floor; --recovery-min-ms sets it.
 *
 * Bounded: every round has a fixed duration, every loop a count, start-up and shutdown timeouts, and a watchdog
 * stops everything after HARD_LIMIT_MS. Loopback only. Child servers are killed in `finally` and on
 * SIGINT/SIGTERM. Exit codes: 0 done, 1 could not run (no Redis, build failed…), 2 bad arguments, 130 interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { matcherFigures, median, pct, r, type benchMatcher } from './matcher';
import { summariseProfile, type ProfileSummary } from './profile';

const REPO = path.join(__dirname, '..');
/** Where the built bot lives: this checkout, or BENCH_BOT_DIR (another checkout, e.g. the commit before a change). */
const BOT_DIR = path.resolve(process.env.BENCH_BOT_DIR ?? REPO);
const BOT_ENTRY = path.join(BOT_DIR, 'dist', 'bot', 'index.js');
const ADMIN_ENTRY = path.join(BOT_DIR, 'dist', 'services', 'admin', 'cli.js');
const ECHO_ENTRY = path.join(REPO, 'bench', 'echo', 'index.mjs');
const MIX_FILE = path.join(REPO, 'bench', 'faq-mix.json');
const FIXTURE_FILE = path.join(REPO, 'demo', 'accounts.json');
const REDIS_URL = (process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/+$/, '');
const REDIS_DB = 14;
const KNOWN_EMAIL = 'maria.gonzalez@example.com';
const MATCHER_PASSES = 5;
const HARD_LIMIT_MS = 20 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const RSS_POLL_MS = 200;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;
const MAX_LATENCY_SAMPLES = 500_000;

// ---------------------------------------------------------------------------------------------- arguments

interface Args {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  conversations: number;
  flowConversations: number;
  recoveryMinMs: number;
  json: boolean;
  build: boolean;
  profile: boolean;
  quick: boolean;
  /** Only the FAQ mix (no matcher figures, flow mix or command counts): a quick A/B of the FAQ reply path. */
  faqOnly: boolean;
  /** --soak N: only an RSS soak of the bot under the FAQ mix for N turns (no echo bot, no matcher, no flows). */
  soak: number;
}

const USAGE =
  'usage: npm run bench -- [--rounds N (5)] [--duration S (10)] [--connections C (20)] [--conversations K (1000)] ' +
  '[--flow-conversations F (20000)] [--recovery-min-ms MS (0)] [--quick] [--faq-only] [--json] [--no-build] [--profile] [--soak TURNS]';

const NUMERIC: Record<string, { key: keyof Args; min: number; max: number }> = {
  rounds: { key: 'rounds', min: 1, max: 50 },
  duration: { key: 'duration', min: 1, max: 120 },
  connections: { key: 'connections', min: 1, max: 200 },
  conversations: { key: 'conversations', min: 1, max: 100_000 },
  'flow-conversations': { key: 'flowConversations', min: 20, max: 100_000 },
  'recovery-min-ms': { key: 'recoveryMinMs', min: 0, max: 10_000 },
  soak: { key: 'soak', min: 1000, max: 10_000_000 },
};

export function parseArgs(argv: string[]): Args | { problems: string[]; help?: boolean } {
  const args: Args = {
    rounds: 5,
    duration: 10,
    warmup: 3,
    connections: 20,
    conversations: 1000,
    flowConversations: 20_000, // enough that no flow conversation is reused within a round at ≈ 1,000 turns/s
    recoveryMinMs: 0,
    json: false,
    build: true,
    profile: false,
    soak: 0,
    quick: false,
    faqOnly: false,
  };
  const given = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { problems: [], help: true };
    if (arg === '--json') args.json = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--faq-only') args.faqOnly = true;
    else if (arg === '--no-build') args.build = false;
    else if (arg === '--profile') args.profile = true;
    else {
      const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
      const spec = m ? NUMERIC[m[1]] : undefined;
      if (!m || !spec) {
        problems.push(`unknown argument "${arg}"`);
        continue;
      }
      const value = m[2] ?? argv[(i += 1)];
      const n = Number(value);
      if (value === undefined || !/^\d+$/.test(value)) problems.push(`--${m[1]} needs a whole number`);
      else if (n < spec.min || n > spec.max) problems.push(`--${m[1]} must be ${spec.min}..${spec.max}`);
      else {
        (args[spec.key] as number) = n;
        given.add(spec.key);
      }
    }
  }
  if (args.quick) {
    if (!given.has('rounds')) args.rounds = 2;
    if (!given.has('duration')) args.duration = 3;
    args.warmup = 1;
  }
  return problems.length ? { problems } : args;
}

// ---------------------------------------------------------------------------------------------- processes

interface Server {
  name: 'bot' | 'echo';
  child: ChildProcess;
  url: string;
  pid: number;
  stderrTail: string[];
}

const children = new Set<ChildProcess>();
// Last resort: whatever ends this process (an uncaught error included) takes the servers with it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
process.on('uncaughtException', (err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function startServer(name: Server['name'], args: string[], env: NodeJS.ProcessEnv, probe: (url: string) => Promise<boolean>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: name === 'bot' ? BOT_DIR : REPO, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderrTail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderrTail.push(d);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await probe(url).catch(() => false)) return { name, child, url, pid: child.pid as number, stderrTail };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000} s: ${stderrTail.join('').slice(-800)}`);
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves when the process is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) the process has used so far, ms; null when /proc cannot tell. */
function cpuMsOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: fields after the command name; utime and stime are the 12th and 13th of them, in clock ticks.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------- load

interface Mix {
  name: 'faq' | 'flow';
  /** autocannon request list; `context` is per connection. */
  requests: (runId: string) => autocannon.Request[];
}

function activity(conversationId: string, text: string, n: number): string {
  return JSON.stringify({
    type: 'message',
    id: `a${n}`,
    text,
    channelId: 'webchat',
    serviceUrl: 'http://127.0.0.1:9/unused',
    conversation: { id: conversationId },
    from: { id: `u-${conversationId}` },
    recipient: { id: 'bot' },
    deliveryMode: 'expectReplies',
  });
}

const HEADERS = { 'content-type': 'application/json' };

function faqMix(texts: readonly string[], conversations: number): Mix {
  return {
    name: 'faq',
    requests: (runId) => {
      let n = 0;
      return [
        {
          method: 'POST',
          path: '/api/messages',
          headers: HEADERS,
          setupRequest: (req) => {
            const i = n;
            n += 1;
            return { ...req, body: activity(`${runId}-faq-${i % conversations}`, texts[i % texts.length], i) };
          },
        },
      ];
    },
  };
}

/** Counts replies that are not what the flow step should say (bot only; the echo bot just echoes). */
const flowChecks = { checked: 0, unexpected: 0, firstUnexpected: '' };
/** autocannon's per-connection context, where a flow keeps its conversation id and number. */
type FlowContext = { conv?: string; flow?: number };
const FLOW_EXPECT = [/"Yes"/, /verified email/i, /sent the username/i];

function flowMix(conversations: number, check: () => boolean): Mix {
  const step = (i: number, text: (ctx: FlowContext) => string): autocannon.Request => ({
    method: 'POST',
    path: '/api/messages',
    headers: HEADERS,
    setupRequest: (req, context) => {
      const ctx = context as FlowContext;
      return { ...req, body: activity(String(ctx.conv), text(ctx), Number(ctx.flow) * 3 + i) };
    },
    onResponse: (status, body) => {
      if (!check()) return;
      flowChecks.checked += 1;
      if (status !== 200 || !FLOW_EXPECT[i].test(body)) {
        flowChecks.unexpected += 1;
        flowChecks.firstUnexpected ||= `step ${i}: HTTP ${status} ${body.slice(0, 160)}`;
      }
    },
  });
  return {
    name: 'flow',
    requests: (runId) => {
      let flows = 0;
      return [
        {
          ...step(0, () => 'I forgot my username'),
          setupRequest: (req, context) => {
            const ctx = context as FlowContext;
            ctx.flow = flows;
            ctx.conv = `${runId}-flow-${flows % conversations}`;
            flows += 1;
            return { ...req, body: activity(ctx.conv, 'I forgot my username', ctx.flow * 3) };
          },
        },
        step(1, () => 'yes'),
        step(2, (ctx) => (Number(ctx.flow) % 4 === 0 ? KNOWN_EMAIL : `bench-${Number(ctx.flow) % 997}@example.com`)),
      ];
    },
  };
}

interface RoundResult {
  turnsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rssAfterMb: number;
  peakRssMb: number;
  /** The server process's CPU (all threads) per 2xx turn over the round, ms: steadier than turns/s on a shared machine. */
  cpuMsPerTurn: number;
  /** Redis's CPU (INFO cpu) per 2xx turn over the round, ms: the echo bot's is ~0 (its state is in memory). */
  redisCpuMsPerTurn: number;
}

let checkFlowReplies = false;

/** A connection for INFO only (CPU Redis used, as Redis itself counts it): Redis may be on another host. */
let infoRedis: Redis | undefined;
async function redisCpuMs(): Promise<number | null> {
  try {
    infoRedis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
    const info = await infoRedis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    const ms = (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

let loads = 0;

async function load(server: Server, mix: Mix, seconds: number, connections: number, runId: string): Promise<RoundResult> {
  // Conversation ids are new for every load: a flow that a previous round stopped halfway must not carry over.
  loads += 1;
  const loadId = `${runId}-${loads}`;
  const latencies: number[] = [];
  let peakRss = 0;
  const poll = setInterval(() => {
    const m = memoryOf(server.pid);
    if (m && m.rssMb > peakRss) peakRss = m.rssMb;
  }, RSS_POLL_MS);
  checkFlowReplies = server.name === 'bot';
  const cpuBefore = cpuMsOf(server.pid);
  const redisBefore = await redisCpuMs();
  try {
    // Without a callback autocannon returns its instance (an event emitter) made thenable.
    const instance = autocannon({
      url: server.url,
      connections,
      pipelining: 1,
      duration: seconds,
      timeout: 10,
      requests: mix.requests(loadId),
    }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(ms);
    });
    const res = await instance;
    latencies.sort((a, b) => a - b);
    const m = memoryOf(server.pid);
    const cpuAfter = cpuMsOf(server.pid);
    const redisAfter = await redisCpuMs();
    return {
      cpuMsPerTurn: cpuBefore === null || cpuAfter === null || !res['2xx'] ? NaN : (cpuAfter - cpuBefore) / res['2xx'],
      redisCpuMsPerTurn: redisBefore === null || redisAfter === null || !res['2xx'] ? NaN : (redisAfter - redisBefore) / res['2xx'],
      turnsPerSecond: res['2xx'] / (res.duration || seconds),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      requests: res.requests.total,
      non2xx: res.non2xx,
      errors: res.errors,
      timeouts: res.timeouts,
      rssAfterMb: m?.rssMb ?? NaN,
      peakRssMb: Math.max(peakRss, m?.hwmMb ?? 0),
    };
  } finally {
    clearInterval(poll);
  }
}

async function compare(bot: Server, echo: Server, mix: Mix, args: Args, runId: string, log: (s: string) => void) {
  for (const s of [bot, echo]) await load(s, mix, args.warmup, args.connections, `${runId}-warm`);
  const rounds: Record<'bot' | 'echo', RoundResult[]> = { bot: [], echo: [] };
  const ratios: number[] = [];
  for (let i = 0; i < args.rounds && !aborted; i += 1) {
    const order = i % 2 === 0 ? [bot, echo] : [echo, bot];
    for (const s of order) {
      const res = await load(s, mix, args.duration, args.connections, runId);
      rounds[s.name].push(res);
      log(`${mix.name} round ${i + 1}/${args.rounds} ${s.name}: ${res.turnsPerSecond.toFixed(0)} turns/s, p50 ${res.p50Ms.toFixed(2)} ms, p99 ${res.p99Ms.toFixed(2)} ms, CPU ${res.cpuMsPerTurn.toFixed(3)} ms/turn, RSS ${res.rssAfterMb.toFixed(0)} MB`);
    }
    ratios.push(rounds.bot[i].turnsPerSecond / rounds.echo[i].turnsPerSecond);
  }
  const summary = (rs: RoundResult[]) => ({
    turnsPerSecond: r(median(rs.map((x) => x.turnsPerSecond)), 0),
    cpuMsPerTurn: r(median(rs.map((x) => x.cpuMsPerTurn)), 3),
    redisCpuMsPerTurn: r(median(rs.map((x) => x.redisCpuMsPerTurn)), 3),
    p50Ms: r(median(rs.map((x) => x.p50Ms))),
    p99Ms: r(median(rs.map((x) => x.p99Ms))),
    peakRssMb: r(Math.max(...rs.map((x) => x.peakRssMb)), 0),
    rssAfterRoundMb: rs.map((x) => r(x.rssAfterMb, 0)),
    turns: rs.reduce((a, x) => a + x.requests, 0),
    non2xx: rs.reduce((a, x) => a + x.non2xx, 0),
    errors: rs.reduce((a, x) => a + x.errors + x.timeouts, 0),
    perRound: rs.map((x) => ({ turnsPerSecond: r(x.turnsPerSecond, 0), p50Ms: r(x.p50Ms), p99Ms: r(x.p99Ms) })),
  });
  return { bot: summary(rounds.bot), echo: summary(rounds.echo), ratio: r(median(ratios), 3), ratios: ratios.map((x) => r(x, 3)) };
}

// ---------------------------------------------------------------------------------------------- redis round trips

async function post(url: string, body: string): Promise<string> {
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: HEADERS, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

/**
 * A MONITOR connection. ioredis marks the connection as monitoring only after MONITOR's OK was handled, so a busy
 * Redis whose first monitor line arrives in the same read as the OK fails it ("Command queue state error"): try
 * again, a few times.
 */
async function startMonitor(base: Redis): Promise<Redis> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await base.monitor();
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(300);
    }
  }
}

/** Counts MONITOR lines that name `prefix` (Lua-internal calls excluded) while `work` runs, per command name. */
async function countCommands(prefix: string, work: () => Promise<number>, settleMs = 300) {
  // No db number on this connection: a SELECT on the monitor connection confuses ioredis' reply queue, and
  // MONITOR sees every db anyway (filtered below).
  const base = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  base.on('error', () => undefined);
  const monitor = await startMonitor(base);
  monitor.on('error', () => undefined);
  const counts = new Map<string, number>();
  let counting = false;
  monitor.on('monitor', (_time: string, argv: string[], source: string, database: string) => {
    if (!counting || source === 'lua' || Number(database) !== REDIS_DB) return;
    if (!argv.some((a) => typeof a === 'string' && a.includes(prefix))) return;
    const name = String(argv[0]).toUpperCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  try {
    await sleep(100);
    // Idle baseline: background commands (mail worker polling) per ms, once the bot is idle. After the flow
    // rounds its mail worker still works off queued mail for a while; a baseline taken then would be mostly
    // that work, and subtracting it would hide the turns' own commands. So wait (at most 30 s) until two
    // half-second windows in a row are as quiet as the worker's polling (≤ 10 commands each).
    counting = true;
    let idle = new Map<string, number>();
    let idleMs = 1;
    for (let quiet = 0, tries = 0; quiet < 2 && tries < 60; tries += 1) {
      counts.clear();
      const windowStart = performance.now();
      await sleep(500);
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      quiet = n <= 10 ? quiet + 1 : 0;
      idle = new Map(counts);
      idleMs = performance.now() - windowStart;
    }
    counts.clear();
    const start = performance.now();
    const turns = await work();
    await sleep(settleMs);
    counting = false;
    const ms = performance.now() - start;
    const perTurn: Record<string, number> = {};
    let total = 0;
    for (const [name, n] of counts) {
      const net = Math.max(0, n - ((idle.get(name) ?? 0) * ms) / idleMs);
      if (net / turns >= 0.005) perTurn[name] = r(net / turns, 2) as number;
      total += net;
    }
    return { turns, perTurn: r(total / turns, 2), byCommand: Object.fromEntries(Object.entries(perTurn).sort((a, b) => b[1] - a[1])) };
  } finally {
    monitor.disconnect();
    base.disconnect();
  }
}

async function redisRoundTrips(bot: Server, prefix: string, texts: readonly string[], runId: string) {
  let n = 0;
  const faq = await countCommands(prefix, async () => {
    const turns = Math.min(100, texts.length * 2);
    for (let i = 0; i < turns; i += 1) await post(bot.url, activity(`${runId}-rt-faq-${i % 20}`, texts[i % texts.length], (n += 1)));
    return turns;
  });
  const flows = 20;
  const conv = (i: number) => `${runId}-rt-flow-${i}`;
  const step = (text: (i: number) => string) => async () => {
    for (let i = 0; i < flows; i += 1) await post(bot.url, activity(conv(i), text(i), (n += 1)));
    return flows;
  };
  const offer = await countCommands(prefix, step(() => 'I forgot my username'));
  const yes = await countCommands(prefix, step(() => 'yes'));
  const email = await countCommands(prefix, step((i) => (i % 4 === 0 ? KNOWN_EMAIL : `bench-rt-${i}@example.com`)), 1000);
  const flowTurn = r(((offer.perTurn ?? 0) + (yes.perTurn ?? 0) + (email.perTurn ?? 0)) / 3, 2);
  return { faq, flow: { perTurn: flowTurn, offer, yes, email } };
}

// ---------------------------------------------------------------------------------------------- cleanup

async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(`${REDIS_URL}/${REDIS_DB}`, { maxRetriesPerRequest: 2 });
  let deleted = 0;
  try {
    let cursor = '0';
    for (let i = 0; i < 100_000; i += 1) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------- RSS soak

/**
 * The bot alone under the FAQ mix, `duration`-second loads back to back until `turns` turns were answered;
 * VmRSS after each load. RSS saw-tooths with garbage collection, so growth is judged on the lowest RSS of the last
 * third of the loads against the lowest of the first third (and the medians are given too).
 */
async function soak(bot: Server, mix: Mix, args: Args, runId: string, log: (s: string) => void) {
  const samples: Array<{ turns: number; rssMb: number | null; turnsPerSecond: number | null; p99Ms: number | null }> = [];
  let turns = 0;
  let non2xx = 0;
  let errors = 0;
  const started = Date.now();
  await load(bot, mix, args.warmup, args.connections, `${runId}-soak-warm`);
  while (turns < args.soak && !aborted) {
    const res = await load(bot, mix, args.duration, args.connections, `${runId}-soak`);
    turns += res.requests;
    non2xx += res.non2xx;
    errors += res.errors + res.timeouts;
    samples.push({ turns, rssMb: r(res.rssAfterMb, 0), turnsPerSecond: r(res.turnsPerSecond, 0), p99Ms: r(res.p99Ms) });
    log(`soak: ${turns} turns, RSS ${res.rssAfterMb.toFixed(0)} MB, ${res.turnsPerSecond.toFixed(0)} turns/s, p99 ${res.p99Ms.toFixed(1)} ms`);
  }
  const rss = samples.map((x) => x.rssMb ?? NaN);
  const third = Math.max(1, Math.floor(rss.length / 3));
  const first = median(rss.slice(0, third));
  const last = median(rss.slice(-third));
  const firstMin = Math.min(...rss.slice(0, third));
  const lastMin = Math.min(...rss.slice(-third));
  return {
    turns,
    seconds: r((Date.now() - started) / 1000, 0),
    non2xx,
    errors,
    rssFirstThirdMedianMb: r(first, 0),
    rssLastThirdMedianMb: r(last, 0),
    rssFirstThirdMinMb: r(firstMin, 0),
    rssLastThirdMinMb: r(lastMin, 0),
    rssGrowthOfMinMb: r(lastMin - firstMin, 0),
    rssMaxMb: r(Math.max(...rss), 0),
    samples,
  };
}

// ---------------------------------------------------------------------------------------------- main

let aborted = false;

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if ('problems' in parsed) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`bench: ${parsed.problems.join('; ')}\n${USAGE}\n`);
    return 2;
  }
  const args = parsed;
  const log = (s: string) => {
    if (!args.json) process.stderr.write(`… ${s}\n`);
  };
  const started = Date.now();

  // 1. matcher (not in a soak)
  const matcher = args.soak || args.faqOnly ? null : matcherFigures(args.quick ? 2 : MATCHER_PASSES, args.quick ? 1 : 3, log);

  const mixFile = JSON.parse(fs.readFileSync(MIX_FILE, 'utf8')) as { questions: string[]; typos: string[]; outOfScope: string[] };
  // Interleave the three kinds so every stretch of the run has the same proportions.
  const mixTexts: string[] = [];
  const kinds = [mixFile.questions, mixFile.typos, mixFile.outOfScope];
  const longest = Math.max(...kinds.map((k) => k.length));
  for (let i = 0; i < longest; i += 1) for (const k of kinds) if (i < k.length) mixTexts.push(k[i]);

  // 2. build and start
  if (args.build) {
    log(`building: npm run build in ${BOT_DIR}`);
    const b = spawnSync('npm', ['run', 'build'], { cwd: BOT_DIR, encoding: 'utf8', timeout: 300_000 });
    if (b.status !== 0) throw new Error(`npm run build failed: ${(b.stdout + b.stderr).slice(-1500)}`);
  }
  if (!fs.existsSync(BOT_ENTRY)) throw new Error(`${BOT_ENTRY} is missing: run npm run build (or drop --no-build)`);
  {
    const ping = new Redis(`${REDIS_URL}/${REDIS_DB}`, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 3000 });
    try {
      await ping.connect();
      await ping.ping();
    } catch (err) {
      throw new Error(`Redis at ${REDIS_URL} is not reachable (${(err as Error).message})`, { cause: err });
    } finally {
      ping.disconnect();
    }
  }

  const runId = randomBytes(3).toString('hex');
  const prefix = `bench-${runId}`;
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-outbox-'));
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-prof-'));
  const botEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    REDIS_URL: `${REDIS_URL}/${REDIS_DB}`,
    REDIS_KEY_PREFIX: prefix,
    SERVER_SECRET: `bench-secret-${randomBytes(16).toString('hex')}`,
    OUTBOX_DIR: outbox,
    PRACTICE_HOURS: 'Mon-Sun 00:00-23:59',
    RECOVERY_MIN_MS: String(args.recoveryMinMs),
    RATE_LIMIT_CONVERSATION_PER_MINUTE: '10000',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    RATE_LIMIT_ACCOUNT_PER_HOUR: '10000',
    RESET_EMAILS_PER_ACCOUNT_PER_HOUR: '100',
    PRACTICE_REQUESTS_PER_USER_PER_DAY: '1000',
    STAFF_NOTIFY_PER_HOUR: '10000',
  };
  const healthy = async (url: string) => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
  const echoUp = async (url: string) => (await fetch(`${url}/api/messages`, { method: 'POST', headers: HEADERS, body: activity('probe', 'probe', 0), signal: AbortSignal.timeout(1000) })).status === 200;

  let bot: Server | undefined;
  let echo: Server | undefined;
  const stopAll = async () => {
    await Promise.all([...children].map(stopChild));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    aborted = true;
    process.stderr.write(`bench: ${signal}: stopping the servers\n`);
    void stopAll()
      .then(() => deletePrefix(prefix))
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => onSignal('SIGALRM' as NodeJS.Signals), HARD_LIMIT_MS);
  watchdog.unref();

  try {
    log('importing the demo accounts (admin CLI)');
    const imp = spawnSync(process.execPath, [ADMIN_ENTRY, 'accounts:import', FIXTURE_FILE], { cwd: BOT_DIR, env: botEnv, encoding: 'utf8', timeout: 60_000 });
    if (imp.status !== 0) throw new Error(`accounts:import failed: ${(imp.stdout + imp.stderr).slice(-800)}`);

    log('starting the bot and the echo bot');
    bot = await startServer('bot', [BOT_ENTRY], botEnv, healthy);
    echo = await startServer('echo', [ECHO_ENTRY], { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' }, echoUp);

    if (args.soak) {
      log(`soak: the bot alone, FAQ mix, ${args.connections} connections, ${args.duration} s loads until ${args.soak} turns`);
      const result = await soak(bot, faqMix(mixTexts, args.conversations), args, runId, log);
      const rep = { benchmark: 'portal-help-bot RSS soak', date: new Date().toISOString(), args: { ...args }, soak: result };
      process.stdout.write(
        args.json
          ? `${JSON.stringify(rep)}\n`
          : `RSS soak ${rep.date}: ${result.turns} turns in ${result.seconds} s, non-2xx ${result.non2xx}, errors ${result.errors}\n` +
              `  RSS lowest in the first third of the loads ${result.rssFirstThirdMinMb} MB, in the last third ${result.rssLastThirdMinMb} MB (growth ${result.rssGrowthOfMinMb} MB); ` +
              `medians ${result.rssFirstThirdMedianMb} → ${result.rssLastThirdMedianMb} MB; max ${result.rssMaxMb} MB\n` +
              `  RSS after each load MB: ${result.samples.map((x) => x.rssMb).join(' ')}\n`,
      );
      return 0;
    }
    log(`faq mix: ${mixTexts.length} texts, ${args.conversations} conversations, ${args.connections} connections, ${args.rounds} rounds × ${args.duration} s`);
    const faq = await compare(bot, echo, faqMix(mixTexts, args.conversations), args, runId, log);
    let flow: CompareResult | null = null;
    let redis: RoundTrips | null = null;
    if (!args.faqOnly) {
      log(`flow mix: username recovery over ${args.flowConversations} conversations`);
      flowChecks.checked = flowChecks.unexpected = 0;
      flow = await compare(bot, echo, flowMix(args.flowConversations, () => checkFlowReplies), args, runId, log);
      log('redis commands per turn (MONITOR)');
      redis = await redisRoundTrips(bot, prefix, mixTexts, runId);
    }
    const flowReplies = { ...flowChecks };
    const mails = fs.readdirSync(outbox).filter((f) => f.endsWith('.eml')).length;
    const botHwm = memoryOf(bot.pid)?.hwmMb;
    const echoHwm = memoryOf(echo.pid)?.hwmMb;

    let profile: (ProfileSummary & { turns: number }) | null = null;
    if (args.profile && !aborted) {
      await stopChild(bot.child);
      log('profile: the bot under node --cpu-prof, one FAQ round');
      const profiled = await startServer('bot', ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, BOT_ENTRY], botEnv, healthy);
      // The profile covers start-up, the warm-up and the round: every turn served counts.
      const warm = await load(profiled, faqMix(mixTexts, args.conversations), args.warmup, args.connections, `${runId}-pw`);
      const res = await load(profiled, faqMix(mixTexts, args.conversations), args.duration, args.connections, `${runId}-p`);
      await stopChild(profiled.child);
      const file = fs.readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const kept = path.join(os.tmpdir(), `portal-bench-${runId}.cpuprofile`);
        fs.copyFileSync(path.join(profileDir, file), kept);
        const turns = res.requests + warm.requests;
        profile = { ...summariseProfile(JSON.parse(fs.readFileSync(kept, 'utf8')), turns), turns };
        log(`profile kept at ${kept}`);
      }
    }

    const report = {
      benchmark: 'portal-help-bot vs stock echo bot',
      date: new Date().toISOString(),
      machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGb: r(os.totalmem() / 2 ** 30, 1), node: process.version },
      args: { ...args },
      matcher,
      faq,
      flow: flow && { ...flow, botRepliesChecked: flowReplies.checked, botRepliesUnexpected: flowReplies.unexpected, ...(flowReplies.firstUnexpected ? { firstUnexpected: flowReplies.firstUnexpected } : {}), mailsWritten: mails },
      peakRssMb: { bot: r(botHwm ?? NaN, 0), echo: r(echoHwm ?? NaN, 0) },
      redisCommandsPerTurn: redis,
      profile,
      totalSeconds: r((Date.now() - started) / 1000, 0),
    };
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    infoRedis?.disconnect();
    await stopAll();
    const deleted = await deletePrefix(prefix).catch(() => 0);
    log(`stopped the servers; deleted ${deleted} keys under ${prefix}`);
    fs.rmSync(outbox, { recursive: true, force: true });
    fs.rmSync(profileDir, { recursive: true, force: true });
    void bot;
    void echo;
  }
}

// ---------------------------------------------------------------------------------------------- report

type CompareResult = Awaited<ReturnType<typeof compare>>;
type RoundTrips = Awaited<ReturnType<typeof redisRoundTrips>>;

function formatReport(rep: {
  date: string;
  machine: { nproc: number; cpu: string; memoryGb: number | null; node: string };
  args: Args;
  matcher: Record<'real' | 'synthetic', ReturnType<typeof benchMatcher>> | null;
  faq: CompareResult;
  flow: (CompareResult & { botRepliesChecked: number; botRepliesUnexpected: number; firstUnexpected?: string; mailsWritten: number }) | null;
  peakRssMb: { bot: number | null; echo: number | null };
  redisCommandsPerTurn: RoundTrips | null;
  profile: (ProfileSummary & { turns: number }) | null;
  totalSeconds: number | null;
}): string {
  const L: string[] = [];
  const a = rep.args;
  L.push(`portal-help-bot bench — ${rep.date}, ${rep.machine.nproc} cpu (${rep.machine.cpu}), ${rep.machine.memoryGb} GB, node ${rep.machine.node}`);
  L.push(`  autocannon: ${a.connections} connections, expectReplies, ${a.rounds} rounds × ${a.duration} s per server and mix (alternating), RECOVERY_MIN_MS=${a.recoveryMinMs}`);
  L.push('');
  if (rep.matcher) {
    L.push('matcher decide() per query      entries  queries   p50 ms   p99 ms   max ms   build ms');
    for (const [k, m] of Object.entries(rep.matcher)) {
      L.push(`  ${k.padEnd(29)} ${String(m.entries).padStart(7)}  ${String(m.queries).padStart(7)}  ${String(m.p50Ms).padStart(7)}  ${String(m.p99Ms).padStart(7)}  ${String(m.maxMs).padStart(7)}  ${String(m.buildMs).padStart(9)}`);
    }
    L.push('');
  }
  L.push('HTTP turns (medians of rounds)  turns/s   p50 ms   p99 ms  CPU ms/turn  peak RSS MB  RSS after each round MB        turns  non-2xx  errors');
  const row = (label: string, s: CompareResult['bot']) =>
    L.push(`  ${label.padEnd(29)} ${String(s.turnsPerSecond).padStart(7)}  ${String(s.p50Ms).padStart(7)}  ${String(s.p99Ms).padStart(7)}  ${String(s.cpuMsPerTurn).padStart(11)}  ${String(s.peakRssMb).padStart(11)}  ${s.rssAfterRoundMb.join(' ').padEnd(28)} ${String(s.turns).padStart(7)}  ${String(s.non2xx).padStart(7)}  ${String(s.errors).padStart(6)}`);
  for (const [name, c] of [['faq', rep.faq], ['flow', rep.flow]] as const) {
    if (!c) continue;
    row(`${name} mix: bot`, c.bot);
    row(`${name} mix: echo`, c.echo);
    L.push(`  ${name} mix: ratio bot/echo       ${c.ratio}  (per round ${c.ratios.join(', ')}); CPU per turn echo/bot ${r((c.echo.cpuMsPerTurn ?? NaN) / (c.bot.cpuMsPerTurn ?? NaN), 3)}; Redis CPU per turn: bot ${c.bot.redisCpuMsPerTurn} ms, echo ${c.echo.redisCpuMsPerTurn} ms`);
  }
  if (rep.flow) L.push(`  flow replies checked ${rep.flow.botRepliesChecked}, unexpected ${rep.flow.botRepliesUnexpected}${rep.flow.firstUnexpected ? ` (first: ${rep.flow.firstUnexpected})` : ''}; mails written ${rep.flow.mailsWritten}`);
  L.push(`  peak RSS over the whole run (VmHWM): bot ${rep.peakRssMb.bot} MB, echo ${rep.peakRssMb.echo} MB`);
  L.push('');
  const rt = rep.redisCommandsPerTurn;
  const by = (x: { byCommand: Record<string, number> }) => Object.entries(x.byCommand).map(([k, v]) => `${k} ${v}`).join(', ');
  if (rt) {
    L.push('Redis commands per turn (MONITOR, one turn at a time)');
    L.push(`  faq turn        ${rt.faq.perTurn}   ${by(rt.faq)}`);
    L.push(`  flow turn (avg) ${rt.flow.perTurn}`);
    L.push(`    offer         ${rt.flow.offer.perTurn}   ${by(rt.flow.offer)}`);
    L.push(`    yes           ${rt.flow.yes.perTurn}   ${by(rt.flow.yes)}`);
    L.push(`    email         ${rt.flow.email.perTurn}   ${by(rt.flow.email)}  (includes the mail worker's commands)`);
  }
  if (rep.profile) {
    L.push('');
    L.push(`CPU profile of the bot (one FAQ round, ${rep.profile.turns} turns): ${rep.profile.cpuMsPerTurn} ms CPU per turn on the main thread`);
    for (const c of rep.profile.categories) L.push(`  ${c.name.padEnd(40)} ${String(c.share).padStart(5)} %  ${c.msPerTurn} ms/turn`);
  }
  L.push('');
  L.push(`total ${rep.totalSeconds} s`);
  return L.join('\n');
}

main().then(
  (code) => process.exit(code),
  async (err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`);
    await Promise.all([...children].map(stopChild));
    process.exit(1);
  },
);

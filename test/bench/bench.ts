/**
 * Speed figures of the bot — a benchmark that prints numbers, not a jest test (jest only runs `*.test.ts`).
 *
 *   npx tsx test/bench/bench.ts [--turns N] [--concurrency C] [--json]
 *
 *  1. Matcher: knowledge-base load time, `createMatcher` build time (cold and repeated), and `decide()` latency
 *     over every text of knowledge/eval/portal-eval.jsonl (one warm-up pass, then MATCHER_PASSES timed passes).
 *  2. HTTP turns against the real host, started in-process like the e2e tests do (test/helpers/host.ts:
 *     real Redis at 127.0.0.1:6379 db 14, unique key prefix, deleted again by `stop()`):
 *     - "faq":  N message turns (`deliveryMode: "expectReplies"`) of eval-file questions, C at a time, each
 *               worker moving to a fresh conversation every FAQ_TURNS_PER_CONVERSATION turns;
 *     - "flow": ceil(N/3) username-recovery dialogs ("I forgot my username" → "yes" → an email), C at a time.
 *               SMTP_URL is unset, so mail becomes .eml files in a temporary OUTBOX_DIR, removed at the end;
 *               the time until the expected mails are written is reported as "mail drain".
 *  3. A compact table, or with --json a single JSON object on stdout.
 *
 * Everything is bounded: N ≤ 5000, C ≤ 64, the scenarios stop starting turns at SOFT_BUDGET_MS and a watchdog
 * cleans up and exits at HARD_LIMIT_MS (120 s) whatever happens. Only loopback traffic. Exit codes: 0 done
 * (figures may be marked "truncated" when the time budget ran out), 1 the bench could not run (e.g. no Redis),
 * 2 bad arguments.
 *
 * Client and server share one Node process (and, here, the machine's cores), so the HTTP figures include
 * the client's own cost; they are for comparing versions of this code on one machine, not for capacity planning.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { loadDefaultKnowledgeBase } from '../../knowledge/load';
import { createMatcher, type Decision } from '../../knowledge/matcher';
import { parseEvalFile } from '../../knowledge/eval';
import { buttonsOf, Conversation, startHost, textOf, type ReplyActivity, type TestHost } from '../helpers/host';
import { deletePrefix } from '../helpers/redis';

const REPO = path.join(__dirname, '..', '..');
const EVAL_FILE = path.join(REPO, 'knowledge', 'eval', 'portal-eval.jsonl');
const FIXTURE_FILE = path.join(REPO, 'demo', 'accounts.json');
const REDIS_DB = 14;

const HARD_LIMIT_MS = 120_000;
/** Scenarios start no new turn after this; leaves time for the mail drain and cleanup. */
const SOFT_BUDGET_MS = 100_000;
const TURN_TIMEOUT_MS = 15_000;
const MAIL_DRAIN_TIMEOUT_MS = 10_000;
const MATCHER_BUILDS = 5;
const MATCHER_PASSES = 5;
const FAQ_TURNS_PER_CONVERSATION = 5;
const WARMUP_TURNS = 20;
/** A verified account email in the demo fixture: flows using it really send a mail. */
const KNOWN_EMAIL = 'maria.gonzalez@example.com';

// ---------------------------------------------------------------------------------------------- arguments

const USAGE = 'usage: npx tsx test/bench/bench.ts [--turns N] [--concurrency C] [--json]';

const ArgsSchema = z
  .object({
    turns: z.coerce
      .number({ message: '--turns must be a number' })
      .int('--turns must be a whole number')
      .min(1, '--turns must be at least 1')
      .max(5000, '--turns must be at most 5000')
      .default(300),
    concurrency: z.coerce
      .number({ message: '--concurrency must be a number' })
      .int('--concurrency must be a whole number')
      .min(1, '--concurrency must be at least 1')
      .max(64, '--concurrency must be at most 64')
      .default(8),
    json: z.boolean().default(false),
  })
  .strict();

type Args = z.infer<typeof ArgsSchema>;

/** Parses argv into Args, or returns the problems (one line each). */
export function parseArgs(argv: string[]): Args | { problems: string[]; help?: boolean } {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { problems: [], help: true };
    const m = /^--(turns|concurrency)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? argv[i + 1];
      if (m[2] === undefined) i += 1;
      if (value === undefined || value === '' || value.startsWith('--')) problems.push(`--${m[1]} needs a value`);
      else if (!/^\s*-?\d+(\.\d+)?\s*$/.test(value)) problems.push(`--${m[1]} must be a number, got "${value}"`);
      else if (m[1] in raw) problems.push(`--${m[1]} given twice`);
      else raw[m[1]] = value;
    } else if (arg === '--json') raw.json = true;
    else problems.push(`unknown argument "${arg}"`);
  }
  if (problems.length) return { problems };
  const parsed = ArgsSchema.safeParse(raw);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => i.message) };
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------- statistics

interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in the unit of the samples. */
export function stats(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { n: s.length, p50: rank(50), p95: rank(95), p99: rank(99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
const roundStats = (s: LatencyStats, digits = 3) => ({
  n: s.n,
  p50: round(s.p50, digits),
  p95: round(s.p95, digits),
  p99: round(s.p99, digits),
  max: round(s.max, digits),
  mean: round(s.mean, digits),
});

/** Deterministic shuffle (mulberry32), so runs send the same mix in the same order. */
function shuffled<T>(items: readonly T[], seed = 42): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- budget

const t0 = performance.now();
const elapsed = () => performance.now() - t0;
/** Set by the watchdog and on signals: every scenario stops starting turns. */
let aborted = false;
const budgetLeft = () => (aborted ? -1 : SOFT_BUDGET_MS - elapsed());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class TimeoutError extends Error {}

/** `promise`, or a TimeoutError after `ms` (the promise itself keeps running). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took over ${ms} ms`)), Math.max(1, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------- matcher

function benchMatcher(texts: readonly string[]) {
  let start = performance.now();
  const kb = loadDefaultKnowledgeBase();
  const kbLoadMs = performance.now() - start;

  // The first build in this process (code not yet optimised), then MATCHER_BUILDS repeated builds.
  start = performance.now();
  let matcher = createMatcher(kb);
  const firstBuildMs = performance.now() - start;
  const builds: number[] = [];
  for (let i = 0; i < MATCHER_BUILDS; i += 1) {
    start = performance.now();
    matcher = createMatcher(kb);
    builds.push(performance.now() - start);
  }

  let sink = 0; // keeps decide() results observable so nothing is optimised away
  const note = (d: Decision) => {
    sink += d.candidates.length;
  };
  for (const text of texts) note(matcher.decide(text)); // warm-up pass
  const latencies: number[] = [];
  start = performance.now();
  let passes = 0;
  for (; passes < MATCHER_PASSES && budgetLeft() > SOFT_BUDGET_MS / 2; passes += 1) {
    for (const text of texts) {
      const s = performance.now();
      const d = matcher.decide(text);
      latencies.push(performance.now() - s);
      note(d);
    }
  }
  const totalMs = performance.now() - start;
  return {
    entries: kb.entries.length,
    texts: texts.length,
    passes,
    kbLoadMs,
    firstBuildMs,
    builds,
    decide: stats(latencies),
    decidesPerSecond: latencies.length / (totalMs / 1000),
    sink,
  };
}

// ---------------------------------------------------------------------------------------------- HTTP

interface ScenarioResult {
  planned: number;
  done: number;
  errors: number;
  unexpected: number;
  firstError?: string;
  truncated: boolean;
  /** Set when the scenario ends; while it runs, the report uses the time since `startedAt`. */
  wallMs: number;
  startedAt?: number;
  latencies: number[];
}

function newScenario(planned: number): ScenarioResult {
  return { planned, done: 0, errors: 0, unexpected: 0, truncated: false, wallMs: 0, latencies: [] };
}

/** One timed turn; records latency on success and the error otherwise. Returns the replies or null. */
async function timedSay(c: Conversation, text: string, r: ScenarioResult, extra?: number[]): Promise<ReplyActivity[] | null> {
  const s = performance.now();
  try {
    const replies = await within(c.say(text), Math.min(TURN_TIMEOUT_MS, Math.max(1000, budgetLeft() + 5000)), 'turn');
    const ms = performance.now() - s;
    r.latencies.push(ms);
    extra?.push(ms);
    r.done += 1;
    return replies;
  } catch (err) {
    r.errors += 1;
    r.firstError ??= (err as Error).message.slice(0, 200);
    return null;
  }
}

/** Runs `workers` loops in parallel, each calling `job(worker)` until it returns false or the budget is spent. */
async function runWorkers(workers: number, r: ScenarioResult, job: (worker: number) => Promise<boolean>): Promise<void> {
  const start = performance.now();
  r.startedAt = start;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (;;) {
        if (budgetLeft() <= 0) {
          r.truncated = true;
          return;
        }
        if (!(await job(w))) return;
      }
    }),
  );
  r.wallMs = performance.now() - start;
}

/** Fills `r` as it goes, so a run stopped by the watchdog still reports what it measured. */
async function benchFaq(host: TestHost, texts: readonly string[], turns: number, concurrency: number, r: ScenarioResult): Promise<void> {
  const mix = shuffled(texts);
  // Warm-up: JIT, keep-alive sockets, Redis connections. Not counted.
  const warm = new Conversation(host);
  const warmResult = newScenario(0);
  for (let i = 0; i < Math.min(WARMUP_TURNS, turns) && budgetLeft() > 0; i += 1) await timedSay(warm, mix[i % mix.length], warmResult);
  if (warmResult.errors) throw new Error(`warm-up turns failed: ${warmResult.firstError}`);

  let next = 0;
  const conversations: Array<{ c: Conversation; used: number }> = [];
  await runWorkers(Math.min(concurrency, turns), r, async (w) => {
    const i = next;
    if (i >= turns) return false;
    next += 1;
    let slot = conversations[w];
    if (!slot || slot.used >= FAQ_TURNS_PER_CONVERSATION) slot = conversations[w] = { c: new Conversation(host), used: 0 };
    slot.used += 1;
    const replies = await timedSay(slot.c, mix[(i + WARMUP_TURNS) % mix.length], r);
    if (replies && replies.length === 0) r.unexpected += 1;
    return true;
  });
}

interface FlowResult extends ScenarioResult {
  flowsPlanned: number;
  flowsDone: number;
  steps: { ask: number[]; yes: number[]; email: number[] };
  flowMs: number[];
  mailsExpected: number;
  mailsWritten: number;
  mailDrainMs: number | null;
}

function newFlowScenario(flows: number): FlowResult {
  return {
    ...newScenario(flows * 3),
    flowsPlanned: flows,
    flowsDone: 0,
    steps: { ask: [], yes: [], email: [] },
    flowMs: [],
    mailsExpected: 0,
    mailsWritten: 0,
    mailDrainMs: null,
  };
}

async function benchFlow(host: TestHost, outboxDir: string, flows: number, concurrency: number, r: FlowResult): Promise<void> {
  let next = 0;
  await runWorkers(Math.min(concurrency, flows), r, async () => {
    const i = next;
    if (i >= flows) return false;
    next += 1;
    const c = new Conversation(host);
    const start = performance.now();
    const offer = await timedSay(c, 'I forgot my username', r, r.steps.ask);
    if (!offer) return true;
    const offered = buttonsOf(offer).join('|');
    if (offered !== 'Yes|No') {
      r.unexpected += 1;
      r.firstError ??= `unexpected offer buttons: ${offered || '(none)'}`;
      return true;
    }
    const ask = await timedSay(c, 'yes', r, r.steps.yes);
    if (!ask) return true;
    if (!/verified email address/i.test(textOf(ask))) {
      r.unexpected += 1;
      r.firstError ??= 'the flow did not ask for the verified email';
      return true;
    }
    // Every other flow uses the demo account's verified email (a mail is sent), the rest an unknown address.
    const known = i % 2 === 0;
    const done = await timedSay(c, known ? KNOWN_EMAIL : `bench-${i}@example.com`, r, r.steps.email);
    if (!done) return true;
    if (!/we've sent the username/i.test(textOf(done))) {
      r.unexpected += 1;
      r.firstError ??= 'the flow did not confirm the email';
      return true;
    }
    if (known) r.mailsExpected += 1;
    r.flowsDone += 1;
    r.flowMs.push(performance.now() - start);
    return true;
  });

  // Mail drain: how long the outbox worker needs, after the last turn, to write the expected .eml files.
  const drainStart = performance.now();
  const countMails = () => (fs.existsSync(outboxDir) ? fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).length : 0);
  const drainUntil = Math.min(MAIL_DRAIN_TIMEOUT_MS, Math.max(0, HARD_LIMIT_MS - 10_000 - elapsed()));
  while ((r.mailsWritten = countMails()) < r.mailsExpected && !aborted && performance.now() - drainStart < drainUntil) await sleep(20);
  if (r.mailsWritten >= r.mailsExpected) r.mailDrainMs = performance.now() - drainStart;
}

// ---------------------------------------------------------------------------------------------- report

type Report = ReturnType<typeof buildReport>;

function buildReport(args: Args, matcher: ReturnType<typeof benchMatcher>, faq: ScenarioResult | null, flow: FlowResult | null, note?: string) {
  const wallOf = (r: ScenarioResult) => r.wallMs || (r.startedAt === undefined ? 0 : performance.now() - r.startedAt);
  const http = (r: ScenarioResult) => {
    const wallMs = wallOf(r);
    return {
      planned: r.planned,
      done: r.done,
      errors: r.errors,
      unexpected: r.unexpected,
      ...(r.firstError ? { firstError: r.firstError } : {}),
      truncated: r.truncated || (aborted && r.wallMs === 0),
      wallMs: round(wallMs, 1),
      turnsPerSecond: wallMs > 0 ? round(r.done / (wallMs / 1000), 1) : null,
      latencyMs: roundStats(stats(r.latencies), 2),
    };
  };
  const sortedBuilds = [...matcher.builds].sort((a, b) => a - b);
  return {
    benchmark: 'portal-help-bot',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    args,
    matcher: {
      kbEntries: matcher.entries,
      evalTexts: matcher.texts,
      kbLoadMs: round(matcher.kbLoadMs, 2),
      buildMs: {
        first: round(matcher.firstBuildMs, 2),
        median: round(sortedBuilds[Math.floor(sortedBuilds.length / 2)], 2),
        min: round(sortedBuilds[0], 2),
        n: matcher.builds.length,
      },
      decide: { passes: matcher.passes, latencyMs: roundStats(matcher.decide, 4), perSecond: round(matcher.decidesPerSecond, 0) },
    },
    faq: faq ? { concurrency: Math.min(args.concurrency, faq.planned), turnsPerConversation: FAQ_TURNS_PER_CONVERSATION, ...http(faq) } : null,
    flow: flow
      ? {
          concurrency: Math.min(args.concurrency, flow.flowsPlanned),
          flowsPlanned: flow.flowsPlanned,
          flowsDone: flow.flowsDone,
          flowsPerSecond: wallOf(flow) > 0 ? round(flow.flowsDone / (wallOf(flow) / 1000), 1) : null,
          ...http(flow),
          stepLatencyMs: {
            ask: roundStats(stats(flow.steps.ask), 2),
            yes: roundStats(stats(flow.steps.yes), 2),
            email: roundStats(stats(flow.steps.email), 2),
          },
          flowMs: roundStats(stats(flow.flowMs), 2),
          mail: { expected: flow.mailsExpected, written: flow.mailsWritten, drainMs: flow.mailDrainMs === null ? null : round(flow.mailDrainMs, 1) },
        }
      : null,
    totalMs: round(elapsed(), 0),
    ...(note ? { note } : {}),
  };
}

function formatTable(rep: Report): string {
  const f = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
  const lat = (s: { p50: number | null; p95: number | null; p99: number | null; max: number | null }, d = 2) =>
    `p50 ${f(s.p50, d)}  p95 ${f(s.p95, d)}  p99 ${f(s.p99, d)}  max ${f(s.max, d)}`;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(22)} ${value}`);
  const m = rep.matcher;
  lines.push(`portal-help-bot bench — ${rep.machine.cpus} cpu, node ${rep.machine.node}, turns=${rep.args.turns} concurrency=${rep.args.concurrency}`);
  lines.push('matcher');
  row('kb load', `${f(m.kbLoadMs)} ms  (${m.kbEntries} entries)`);
  row('createMatcher', `first ${f(m.buildMs.first)} ms, then median ${f(m.buildMs.median)} ms  min ${f(m.buildMs.min)} ms  (n=${m.buildMs.n})`);
  row('decide() ms', `${lat(m.decide.latencyMs, 3)}  (n=${m.decide.latencyMs.n}, ${m.evalTexts} texts × ${m.decide.passes})`);
  row('decide() rate', `${m.decide.perSecond ?? '-'} /s on one core`);
  const http = (name: string, s: NonNullable<Report['faq']> | NonNullable<Report['flow']>) => {
    lines.push(`${name}${s.truncated ? '  [TRUNCATED]' : ''}`);
    row('turns', `${s.done}/${s.planned} in ${f(s.wallMs === null ? null : s.wallMs / 1000)} s  → ${f(s.turnsPerSecond, 1)} turns/s  (c=${s.concurrency})`);
    row('turn latency ms', lat(s.latencyMs));
    if (s.errors || s.unexpected) row('problems', `errors ${s.errors}  unexpected ${s.unexpected}${s.firstError ? `  first: ${s.firstError}` : ''}`);
  };
  if (rep.faq) http('http faq turns (expectReplies)', rep.faq);
  if (rep.flow) {
    const fl = rep.flow;
    http('http dialog flow (forgot username → yes → email)', fl);
    row('flows', `${fl.flowsDone}/${fl.flowsPlanned}  → ${f(fl.flowsPerSecond, 1)} flows/s`);
    row('step "forgot" ms', lat(fl.stepLatencyMs.ask));
    row('step "yes" ms', lat(fl.stepLatencyMs.yes));
    row('step email ms', lat(fl.stepLatencyMs.email));
    row('whole flow ms', lat(fl.flowMs));
    row('mail (.eml outbox)', `${fl.mail.written}/${fl.mail.expected} written, drain ${fl.mail.drainMs === null ? 'not finished' : `${f(fl.mail.drainMs, 0)} ms after last turn`}`);
  }
  if (rep.note) lines.push(`note: ${rep.note}`);
  lines.push(`total ${((rep.totalMs ?? 0) / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- main

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
  const log = (msg: string) => {
    if (!args.json) process.stderr.write(`… ${msg}\n`);
  };

  const texts = parseEvalFile(fs.readFileSync(EVAL_FILE, 'utf8'), EVAL_FILE).map((c) => c.text);
  log(`matcher: ${texts.length} eval texts`);
  const matcher = benchMatcher(texts);

  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-outbox-'));
  let host: TestHost | undefined;
  let cleaning: Promise<void> | undefined;
  /** Idempotent: every caller waits for the same single cleanup. */
  const cleanup = () => (cleaning ??= doCleanup());
  const doCleanup = async () => {
    try {
      if (host) {
        const h = host;
        await within(h.stop(), 5000, 'host stop').catch(async (err: Error) => {
          // The host did not close in time (turns still in flight): delete the bench's keys directly.
          process.stderr.write(`bench: cleanup: ${err.message}; deleting keys directly\n`);
          await within(deletePrefix(h.redis, h.prefix), 2000, 'deleting bench keys').catch((e: Error) => process.stderr.write(`bench: cleanup: ${e.message}\n`));
          h.redis.disconnect();
        });
      }
    } finally {
      fs.rmSync(outboxDir, { recursive: true, force: true });
    }
  };

  let faq: ScenarioResult | null = null;
  let flow: FlowResult | null = null;
  let note: string | undefined;
  let interrupted = false;
  let emitted = false;
  const emit = () => {
    if (emitted) return;
    emitted = true;
    const rep = buildReport(args, matcher, faq, flow, note);
    process.stdout.write(args.json ? `${JSON.stringify(rep)}\n` : `${formatTable(rep)}\n`);
  };

  // Hard stop: whatever is still running at HARD_LIMIT_MS, clean up (bounded) and exit.
  const watchdog = setTimeout(() => {
    aborted = true;
    note = `stopped by the ${HARD_LIMIT_MS / 1000} s limit; figures are partial`;
    void within(cleanup(), 8000, 'cleanup')
      .catch(() => undefined)
      .finally(() => {
        emit();
        process.exit(0);
      });
  }, Math.max(0, HARD_LIMIT_MS - 10_000 - elapsed()));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      aborted = true;
      interrupted = true;
      note = `interrupted by ${signal}; figures are partial`;
      void within(cleanup(), 8000, 'cleanup')
        .catch(() => undefined)
        .finally(() => {
          emit();
          process.exit(130);
        });
    });
  }

  try {
    log(`host: starting against redis db ${REDIS_DB}`);
    host = await within(
      startHost('bench', REDIS_DB, {
        OUTBOX_DIR: outboxDir,
        LOG_LEVEL: 'info',
        SERVER_SECRET: 'bench-secret-0123456789-0123456789-abcdef',
        // The bench measures turns, not the limiter saying no: raise every limit the flows touch.
        RATE_LIMIT_CONVERSATION_PER_MINUTE: '10000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_ACCOUNT_PER_HOUR: '10000',
        RESET_EMAILS_PER_ACCOUNT_PER_HOUR: '100',
      }),
      20_000,
      'starting the host (is Redis running at 127.0.0.1:6379?)',
    );
    await within(host.redis.ping(), 5000, 'redis ping');
    await host.app.services.directory.importPatients(JSON.parse(fs.readFileSync(FIXTURE_FILE, 'utf8')));

    log(`faq: ${args.turns} turns, concurrency ${args.concurrency}`);
    faq = newScenario(args.turns);
    await benchFaq(host, texts, args.turns, args.concurrency, faq);
    if (budgetLeft() > 0) {
      const flows = Math.ceil(args.turns / 3);
      log(`flow: ${flows} username-recovery flows, concurrency ${args.concurrency}`);
      flow = newFlowScenario(flows);
      await benchFlow(host, outboxDir, flows, args.concurrency, flow);
    } else if (!aborted) note = 'flow scenario skipped: time budget spent';
  } catch (err) {
    clearTimeout(watchdog);
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    await cleanup();
    return 1;
  }
  log('cleaning up');
  await cleanup();
  clearTimeout(watchdog);
  emit();
  return interrupted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(1);
  },
);

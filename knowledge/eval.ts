/**
 * kb:eval — scores the matcher against a labelled JSONL file.
 *
 *   npm run kb:eval -- knowledge/eval/portal-eval.jsonl
 *   npm run kb:eval -- knowledge/eval/emergency-eval.jsonl
 *
 * Each line is `{"text": "...", "expect": ["<id>", ...]}`; `"none"` in `expect` means "the bot should not answer
 * with an entry", `"emergency"` means the emergency reply. A line may instead (or also) say whether it is an
 * emergency: `{"text": "...", "emergency": true, "category": "cardiac"}` (`category` is free text, for reading the
 * misses). Prints one line per miss, then, as the last line:
 *
 *   top1=NN.N% in_scope=NN.N% out_of_scope_rejected=NN.N% n=N
 *
 * followed, when the set has emergency lines, by ` emergency_recall=NN.N% (k/n) false_alarms=NN.N% (k/n)`; a set
 * whose lines carry only `emergency` prints `top1=n/a n=0` before them.
 *
 * Definitions (a decision's id is the answered entry id; "clarify" and "none" count as `none`; an emergency
 * decision counts as `emergency`):
 *  - top1: share of the lines with `expect` whose decision id is in `expect`.
 *  - in_scope: top1 over the lines whose `expect` does not contain "none".
 *  - out_of_scope_rejected: over the lines whose `expect` contains "none", the share that the bot did *not*
 *    answer with an entry outside `expect` — i.e. whose decision id is in `expect` (so "none"/"clarify" always
 *    count, and an emergency reply counts when "emergency" is also expected). 100% when there are no such lines.
 *  - emergency lines: `"emergency": true`, or (without that field) `expect` is exactly ["emergency"];
 *    non-emergency lines: `"emergency": false`, or `expect` without "emergency". A line expecting "emergency" or
 *    something else (["emergency", "none"]) is neither.
 *  - emergency_recall: share of emergency lines decided as an emergency; false_alarms: share of non-emergency
 *    lines decided as an emergency. Printed only when the set has at least one emergency line.
 * Always exits 0 once the file is valid (the test suite holds the bars); a bad file exits 2.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { loadDefaultMatcher } from './load';
import type { Decision } from './matcher';

const EvalLineSchema = z
  .object({
    text: z.string().trim().min(1, 'must not be empty'),
    expect: z.array(z.string().trim().min(1), { message: 'must be a list of ids' }).min(1, 'must have at least 1 id').optional(),
    emergency: z.boolean({ message: 'must be true or false' }).optional(),
    category: z.string().trim().min(1, 'must not be empty').optional(),
  })
  .strict()
  .refine((line) => line.expect !== undefined || line.emergency !== undefined, { message: 'needs "expect" or "emergency"' })
  .refine((line) => line.expect === undefined || line.emergency === undefined || line.expect.includes('emergency') === line.emergency, {
    message: '"emergency" contradicts "expect"',
  });

export interface EvalCase {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  /** Acceptable decision ids; empty when the line only says whether it is an emergency (not scored for top1). */
  expect: string[];
  /** Whether the line is an emergency (see the header); undefined when it is neither kind. */
  emergency?: boolean;
  category?: string;
}

export interface EvalMiss {
  line: number;
  text: string;
  expect: string[];
  got: string;
  decision: Decision['type'];
}

export interface EmergencyReport {
  /** Lines that are emergencies, and how many of them were decided as one. */
  n: number;
  caught: number;
  recall: number;
  /** Lines that are not emergencies, and how many of them were decided as one. */
  nonN: number;
  falseAlarms: number;
  falseAlarmRate: number;
}

export interface EvalReport {
  /** Lines scored for top1 (those with `expect`). */
  n: number;
  top1: number;
  inScope: number;
  inScopeN: number;
  outOfScopeRejected: number;
  outOfScopeN: number;
  misses: EvalMiss[];
  /** Undefined when the set has no emergency line. */
  emergency?: EmergencyReport;
  /** Emergency lines not caught and non-emergency lines that raised the alarm. */
  emergencyMisses: EvalCase[];
}

/**
 * Parses JSONL evaluation data; blank lines are skipped.
 * @throws Error `<source>:<line>: <what is wrong>` for the first bad line.
 */
export function parseEvalFile(content: string, source = 'eval'): EvalCase[] {
  const cases: EvalCase[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(`${source}:${i + 1}: not valid JSON`);
    }
    const parsed = EvalLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length ? issue.path.map(String).join('.') : '(line)';
      throw new Error(`${source}:${i + 1}: ${field}: ${issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message}`);
    }
    const { text, expect = [], emergency, category } = parsed.data;
    cases.push({ line: i + 1, text, expect, emergency: emergency ?? emergencyFromExpect(expect), ...(category ? { category } : {}) });
  });
  return cases;
}

/** See the header: ["emergency"] is an emergency, a list without it is not, a mixed list is neither. */
function emergencyFromExpect(expect: readonly string[]): boolean | undefined {
  if (expect.length === 0) return undefined;
  if (!expect.includes('emergency')) return false;
  return expect.length === 1 ? true : undefined;
}

/** The id a decision is scored as: the answered entry, `emergency`, or `none` for clarify/none. */
export function decisionId(decision: Decision): string {
  if (decision.type === 'answer') return decision.id;
  if (decision.type === 'emergency') return 'emergency';
  return 'none';
}

const share = (hits: number, total: number): number => (total === 0 ? 1 : hits / total);

/** Runs every case through `decide` and computes the figures defined in this file's header. */
export function scoreEval(cases: readonly EvalCase[], decide: (text: string) => Decision): EvalReport {
  let hits = 0;
  let inScopeHits = 0;
  let inScopeN = 0;
  let rejected = 0;
  let outOfScopeN = 0;
  const misses: EvalMiss[] = [];
  const emergencyMisses: EvalCase[] = [];
  let emergencyN = 0;
  let caught = 0;
  let nonN = 0;
  let falseAlarms = 0;
  let n = 0;
  for (const c of cases) {
    const decision = decide(c.text);
    const got = decisionId(decision);
    if (c.emergency !== undefined) {
      const alarm = got === 'emergency';
      if (c.emergency) emergencyN += 1;
      else nonN += 1;
      if (c.emergency && alarm) caught += 1;
      if (!c.emergency && alarm) falseAlarms += 1;
      if (c.emergency !== alarm) emergencyMisses.push(c);
    }
    if (c.expect.length === 0) continue;
    n += 1;
    const hit = c.expect.includes(got);
    if (hit) hits += 1;
    else misses.push({ line: c.line, text: c.text, expect: c.expect, got, decision: decision.type });
    if (c.expect.includes('none')) {
      outOfScopeN += 1;
      if (hit) rejected += 1;
    } else {
      inScopeN += 1;
      if (hit) inScopeHits += 1;
    }
  }
  const emergency =
    emergencyN === 0 ? undefined : { n: emergencyN, caught, recall: share(caught, emergencyN), nonN, falseAlarms, falseAlarmRate: nonN === 0 ? 0 : falseAlarms / nonN };
  return {
    n,
    top1: share(hits, n),
    inScope: share(inScopeHits, inScopeN),
    inScopeN,
    outOfScopeRejected: share(rejected, outOfScopeN),
    outOfScopeN,
    misses,
    ...(emergency ? { emergency } : {}),
    emergencyMisses,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * The summary line: `top1=NN.N% in_scope=NN.N% out_of_scope_rejected=NN.N% n=N`, then, when the set has emergency
 * lines, ` emergency_recall=NN.N% (k/n) false_alarms=NN.N% (k/n)`; `top1=n/a n=0` when no line has `expect`.
 */
export function formatSummary(r: EvalReport): string {
  const top1 = r.n === 0 ? 'top1=n/a n=0' : `top1=${pct(r.top1)} in_scope=${pct(r.inScope)} out_of_scope_rejected=${pct(r.outOfScopeRejected)} n=${r.n}`;
  const e = r.emergency;
  return e ? `${top1} emergency_recall=${pct(e.recall)} (${e.caught}/${e.n}) false_alarms=${pct(e.falseAlarmRate)} (${e.falseAlarms}/${e.nonN})` : top1;
}

/** One line per emergency miss: a missed emergency or a false alarm. */
export function formatEmergencyMiss(c: EvalCase): string {
  const what = c.emergency ? 'MISSED EMERGENCY' : 'FALSE ALARM';
  return `${what} line ${c.line}: text=${JSON.stringify(c.text)}${c.category ? ` category=${c.category}` : ''}`;
}

/** One line per miss: where, what the patient wrote, what we expected and what we decided. */
export function formatMiss(m: EvalMiss): string {
  return `MISS line ${m.line}: text=${JSON.stringify(m.text)} expected=${m.expect.join('|')} got=${m.got}${m.decision === 'clarify' ? ' (clarify)' : ''}`;
}

const ArgsSchema = z.tuple([z.string().min(1, 'give the path of a .jsonl file')], { message: 'usage: npm run kb:eval -- FILE.jsonl' });

/** Runs the CLI; returns the process exit code. */
export function main(argv: string[]): number {
  const args = ArgsSchema.safeParse(argv);
  if (!args.success) {
    process.stderr.write('usage: npm run kb:eval -- FILE.jsonl\n');
    return 2;
  }
  const [file] = args.data;
  let cases: EvalCase[];
  try {
    cases = parseEvalFile(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const matcher = loadDefaultMatcher();
  const report = scoreEval(cases, (text) => matcher.decide(text));
  for (const miss of report.misses) process.stdout.write(`${formatMiss(miss)}\n`);
  // Lines with `expect` already printed a MISS line above (got=emergency, or got=… for a missed emergency).
  for (const c of report.emergencyMisses.filter((m) => m.expect.length === 0)) process.stdout.write(`${formatEmergencyMiss(c)}\n`);
  process.stdout.write(`${formatSummary(report)}\n`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

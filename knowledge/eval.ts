/**
 * kb:eval — scores the matcher against a labelled JSONL file.
 *
 *   npm run kb:eval -- knowledge/eval/portal-eval.jsonl
 *
 * Each line is `{"text": "...", "expect": ["<id>", ...]}`; `"none"` in `expect` means "the bot should not answer
 * with an entry", `"emergency"` means the emergency reply. Prints one line per miss, then, as the last line:
 *
 *   top1=NN.N% in_scope=NN.N% out_of_scope_rejected=NN.N% n=N
 *
 * Definitions (a decision's id is the answered entry id; "clarify" and "none" count as `none`; an emergency
 * decision counts as `emergency`):
 *  - top1: share of all lines whose decision id is in `expect`.
 *  - in_scope: top1 over the lines whose `expect` does not contain "none".
 *  - out_of_scope_rejected: over the lines whose `expect` contains "none", the share that the bot did *not*
 *    answer with an entry outside `expect` — i.e. whose decision id is in `expect` (so "none"/"clarify" always
 *    count, and an emergency reply counts when "emergency" is also expected). 100% when there are no such lines.
 * Always exits 0 once the file is valid (the test suite holds the bars); a bad file exits 2.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { loadDefaultMatcher } from './load';
import type { Decision } from './matcher';

const EvalLineSchema = z
  .object({
    text: z.string().trim().min(1, 'must not be empty'),
    expect: z.array(z.string().trim().min(1), { message: 'must be a list of ids' }).min(1, 'must have at least 1 id'),
  })
  .strict();

export interface EvalCase {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  expect: string[];
}

export interface EvalMiss {
  line: number;
  text: string;
  expect: string[];
  got: string;
  decision: Decision['type'];
}

export interface EvalReport {
  n: number;
  top1: number;
  inScope: number;
  inScopeN: number;
  outOfScopeRejected: number;
  outOfScopeN: number;
  misses: EvalMiss[];
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
    cases.push({ line: i + 1, text: parsed.data.text, expect: parsed.data.expect });
  });
  return cases;
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
  for (const c of cases) {
    const decision = decide(c.text);
    const got = decisionId(decision);
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
  return {
    n: cases.length,
    top1: share(hits, cases.length),
    inScope: share(inScopeHits, inScopeN),
    inScopeN,
    outOfScopeRejected: share(rejected, outOfScopeN),
    outOfScopeN,
    misses,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The summary line, exactly `top1=NN.N% in_scope=NN.N% out_of_scope_rejected=NN.N% n=N`. */
export function formatSummary(r: EvalReport): string {
  return `top1=${pct(r.top1)} in_scope=${pct(r.inScope)} out_of_scope_rejected=${pct(r.outOfScopeRejected)} n=${r.n}`;
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
  process.stdout.write(`${formatSummary(report)}\n`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

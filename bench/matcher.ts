/**
 * The matcher part of the benchmark (bench/bench.ts step 1): `decide()` p50/p99 per query on a knowledge base,
 * and the synthetic 1,000-entry KB it is also measured on. Also runnable alone, for a quick loop on the matcher:
 *
 *   npx tsx bench/matcher.ts [--passes N (5)] [--synthetic-passes N (3)]
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseEvalFile } from '../knowledge/eval';
import { loadDefaultKnowledgeBase } from '../knowledge/load';
import { createMatcher } from '../knowledge/matcher';
import { createNormaliser } from '../knowledge/normalise';
import type { KbEntry, KnowledgeBase } from '../knowledge/schema';

export const EVAL_FILE = path.join(__dirname, '..', 'knowledge', 'eval', 'portal-eval.jsonl');
export const SYNTHETIC_ENTRIES = 1000;

// ---------------------------------------------------------------------------------------------- statistics

/** Nearest-rank percentile of sorted samples. */
export function pct(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export function median(xs: readonly number[]): number {
  return pct([...xs].sort((a, b) => a - b), 50);
}
export const r = (x: number, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** Deterministic PRNG (mulberry32), so generated data is the same every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------- matcher

/** The real KB plus generated entries (questions recombined from the KB's own words) up to `size` entries. */
export function syntheticKb(real: KnowledgeBase, size: number): KnowledgeBase {
  const rand = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  // Words that normalise to a token of an out-of-scope term stay out: the matcher refuses a KB in which an
  // out-of-scope term is made only of in-scope words.
  const normaliser = createNormaliser();
  const outOfScope = new Set(real.outOfScope.flatMap((t) => t.terms.flatMap((term) => normaliser.normalise(term))));
  const words = [...new Set(real.entries.flatMap((e) => e.questions.join(' ').toLowerCase().match(/[a-z']+/g) ?? []))].filter(
    (w) => !normaliser.normalise(w).some((t) => outOfScope.has(t)),
  );
  const filler = Array.from({ length: 400 }, (_, i) => `topic${i.toString(36)}`);
  const entries: KbEntry[] = [...real.entries];
  for (let i = entries.length; i < size; i += 1) {
    const own = [pick(filler), pick(filler)];
    const sentence = () => Array.from({ length: 5 + Math.floor(rand() * 8) }, () => (rand() < 0.25 ? pick(own) : pick(words))).join(' ');
    entries.push({
      id: `synthetic-${i}`,
      kind: 'faq',
      title: `Synthetic ${i}`,
      questions: Array.from({ length: 4 + Math.floor(rand() * 8) }, () => {
        // Phrases can form a concept of an out-of-scope term too ("where is your office"): draw again (bounded).
        let q = sentence();
        for (let tries = 0; tries < 20 && normaliser.normalise(q).some((t) => outOfScope.has(t)); tries += 1) q = sentence();
        return q;
      }),
      keywords: [own.join(' '), pick(words)],
      answer: 'synthetic',
      followUps: [],
    });
  }
  return { ...real, entries, byId: new Map(entries.map((e) => [e.id, e])) };
}

/** Warm-up pass, then up to `passes` timed passes while under `budgetMs`. */
export function benchMatcher(kb: KnowledgeBase, texts: readonly string[], passes: number, budgetMs: number) {
  let start = performance.now();
  const matcher = createMatcher(kb);
  const buildMs = performance.now() - start;
  let sink = 0;
  for (const t of texts) sink += matcher.decide(t).candidates.length; // warm-up
  const samples: number[] = [];
  const until = performance.now() + budgetMs;
  for (let p = 0; p < passes && performance.now() < until; p += 1) {
    for (const t of texts) {
      start = performance.now();
      sink += matcher.decide(t).candidates.length;
      samples.push(performance.now() - start);
    }
  }
  samples.sort((a, b) => a - b);
  return { entries: kb.entries.length, queries: samples.length, buildMs: r(buildMs, 1), p50Ms: r(pct(samples, 50), 3), p99Ms: r(pct(samples, 99), 3), maxMs: r(samples[samples.length - 1], 3), sink };
}

/** `decide()` p50/p99 on the real KB and on a synthetic 1,000-entry KB. */
export function matcherFigures(passes: number, syntheticPasses: number, log: (s: string) => void) {
  const evalTexts = parseEvalFile(fs.readFileSync(EVAL_FILE, 'utf8'), EVAL_FILE).map((c) => c.text);
  const realKb = loadDefaultKnowledgeBase();
  log(`matcher: ${evalTexts.length} eval texts on the real KB (${realKb.entries.length} entries) and a synthetic ${SYNTHETIC_ENTRIES}-entry KB`);
  const real = benchMatcher(realKb, evalTexts, passes, 30_000);
  log(`matcher: real KB p50 ${real.p50Ms} ms, p99 ${real.p99Ms} ms; building the synthetic KB`);
  // Every 4th eval text (212 queries a pass): the synthetic KB is slow enough that all of them would take minutes.
  const synthetic = benchMatcher(syntheticKb(realKb, SYNTHETIC_ENTRIES), evalTexts.filter((_, i) => i % 4 === 0), syntheticPasses, 60_000);
  log(`matcher: synthetic KB p50 ${synthetic.p50Ms} ms, p99 ${synthetic.p99Ms} ms (build ${synthetic.buildMs} ms)`);
  return { real, synthetic };
}

if (require.main === module) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      process.stderr.write(`usage: npx tsx bench/matcher.ts [--passes N (5)] [--synthetic-passes N (3)]; --${name} must be 1..100\n`);
      process.exit(2);
    }
    return n;
  };
  const figures = matcherFigures(arg('passes', 5), arg('synthetic-passes', 3), (s) => process.stderr.write(`… ${s}\n`));
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

/**
 * Refits the matcher's confidence calibration (CALIBRATION in matcher.ts) by logistic regression.
 *
 * For every labelled message, the features are the top entry's raw score and its margin over the runner-up; the
 * label is whether that top entry is one the line expects (out-of-scope lines are never "correct" unless they
 * also expect that entry). Fitted coefficients make `confidence` read as a probability of being right.
 *
 *   npx tsx knowledge/tools/calibrate.ts knowledge/eval/portal-eval.jsonl ../shared/eval/faq-dev.jsonl
 */
import fs from 'node:fs';
import { parseEvalFile } from '../eval';
import { loadDefaultMatcher } from '../load';

const matcher = loadDefaultMatcher();
const rows: { raw: number; margin: number; y: number }[] = [];
for (const file of process.argv.slice(2)) {
  for (const c of parseEvalFile(fs.readFileSync(file, 'utf8'), file)) {
    if (matcher.decide(c.text).type === 'emergency') continue;
    const [top, second] = matcher.explain(c.text).scores;
    if (!top || top.raw <= 0) continue;
    rows.push({ raw: top.raw, margin: top.raw - (second?.raw ?? 0), y: c.expect.includes(top.id) ? 1 : 0 });
  }
}

/** Plain batch gradient descent with a little L2; the data are small, so this converges in well under a second. */
let [a, b, c] = [0, 0, 0];
const rate = 0.5;
const l2 = 0.001;
for (let step = 0; step < 20000; step += 1) {
  let [ga, gb, gc] = [0, 0, 0];
  for (const r of rows) {
    const p = 1 / (1 + Math.exp(-(a * r.raw + b * r.margin + c)));
    ga += (p - r.y) * r.raw;
    gb += (p - r.y) * r.margin;
    gc += p - r.y;
  }
  a -= rate * (ga / rows.length + l2 * a);
  b -= rate * (gb / rows.length + l2 * b);
  c -= rate * (gc / rows.length);
}
const round = (x: number): number => Math.round(x * 100) / 100;
process.stdout.write(`rows=${rows.length} positives=${rows.filter((r) => r.y).length}\n`);
process.stdout.write(`export const CALIBRATION = { a: ${round(a)}, b: ${round(b)}, c: ${round(c)} };\n`);
// Reliability table: predicted vs observed, by predicted-confidence bin.
const bins = [0, 0.2, 0.4, 0.6, 0.8, 1.01];
for (let i = 0; i < bins.length - 1; i += 1) {
  const inBin = rows.filter((r) => {
    const p = 1 / (1 + Math.exp(-(a * r.raw + b * r.margin + c)));
    return p >= bins[i] && p < bins[i + 1];
  });
  const observed = inBin.length ? inBin.filter((r) => r.y).length / inBin.length : NaN;
  process.stdout.write(`  ${bins[i].toFixed(1)}-${Math.min(1, bins[i + 1]).toFixed(1)}: n=${inBin.length} observed=${observed.toFixed(2)}\n`);
}

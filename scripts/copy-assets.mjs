#!/usr/bin/env node
/**
 * Second half of `npm run build`: copies the files the runtime reads next to its compiled code, so every
 * `__dirname`-relative read works the same from `dist/` as from the sources:
 *   knowledge/*.json            → dist/knowledge/        (faq.json read by knowledge/schema.ts; near-words.json)
 *   services/mail/templates/**  → dist/services/mail/templates/
 *   web/**                      → dist/web/              (bot/resetPage.ts reads ../web/reset from dist/bot)
 * Then removes compiled files in dist/ whose source is gone (a renamed or deleted .ts must not linger).
 * Usage: node scripts/copy-assets.mjs [--out DIR]   (DIR defaults to dist, relative to the repo root)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'dist');

/** [source folder, keep(file name)] pairs, relative to the repo root; copied recursively. */
const ASSETS = [
  ['knowledge', (name, rel) => name.endsWith('.json') && !rel.includes(path.sep)], // top level only: not eval/ or tools/
  ['services/mail/templates', () => true],
  ['web', () => true],
];

let copied = 0;
function copyTree(srcRoot, keep) {
  const walk = (rel) => {
    const dir = path.join(root, srcRoot, rel);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const childRel = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(childRel);
      else if (entry.isFile() && keep(entry.name, childRel)) {
        const dest = path.join(out, srcRoot, childRel);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(path.join(root, srcRoot, childRel), dest);
        copied += 1;
      }
    }
  };
  walk('');
}

/** Deletes dist/**\/*.js (and .d.ts/.map) with neither a .ts source nor a copied source any more, and empty folders. */
let pruned = 0;
function pruneStale(rel) {
  const dir = path.join(out, rel);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const childRel = path.join(rel, entry.name);
    if (entry.isDirectory()) {
      pruneStale(childRel);
      if (fs.readdirSync(path.join(out, childRel)).length === 0) fs.rmdirSync(path.join(out, childRel));
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts)$/.exec(entry.name);
    if (!m) continue;
    const source = path.join(root, rel, `${m[1]}.ts`);
    const asset = path.join(root, childRel); // a .js asset such as web/reset/reset.js is its own source
    if (!fs.existsSync(source) && !fs.existsSync(asset)) {
      fs.rmSync(path.join(out, childRel));
      pruned += 1;
    }
  }
}

if (!fs.existsSync(out)) {
  process.stderr.write(`copy-assets: ${path.relative(root, out) || out} does not exist; run tsc first\n`);
  process.exit(1);
}
for (const [src, keep] of ASSETS) {
  // Clear the previous copy first so an asset deleted from the sources is deleted from dist too.
  if (src !== 'knowledge') fs.rmSync(path.join(out, src), { recursive: true, force: true });
  copyTree(src, keep);
}
pruneStale('');
process.stdout.write(`copy-assets: ${copied} files copied to ${path.relative(root, out)}/${pruned ? `, ${pruned} stale compiled files removed` : ''}\n`);

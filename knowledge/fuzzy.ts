/**
 * The matcher's fuse.js view (step 4 of matcher.ts): how much of a message each entry's vocabulary explains,
 * fuzzily. It is fuse.js token search (`useTokenSearch`) over one document per entry — the entry's normalised
 * vocabulary — computed the way fuse computes it, with two differences that only make it cheaper:
 *
 *  - only the entries asked for are scored (the matcher asks for those with a concept score: the fuse view is
 *    weighted by the concept score, so it cannot change any other entry's raw score);
 *  - a KB word's per-entry bitap result (`Fuse.match`, fuse's own approximate search) is kept once computed:
 *    the KB's vocabulary is fixed and small, and the same words come back in message after message. A word the
 *    KB does not have (a name, a typo nothing corrected) is searched afresh each time and never kept, so no
 *    patient's words stay in memory.
 *
 * Per term, fuse's token search weighs a match by the term's IDF over the documents (ln(1 + (N − df + 0.5) /
 * (df + 0.5))) and scores a document 1 − Σ idf·(1 − bitap score) / Σ idf over every query term (at least 0.001);
 * with one key and `ignoreFieldNorm` that is the result's score. test/knowledge/fuzzy.test.ts checks the
 * similarity (1 − score) against `Fuse#search` itself.
 */
import Fuse from 'fuse.js';

/** fuse.js options of the view: a term matches within a quarter of its letters, anywhere in the vocabulary. */
export const FUSE_OPTIONS = { threshold: 0.25, ignoreLocation: true } as const;

/** Longest message token searched (fuse's bitap pattern limit; no KB word is anywhere near it). */
export const MAX_FUSE_TOKEN_LENGTH = 32;

/** fuse's document-score floor (a perfect match scores 0.001, not 0). */
const MIN_SCORE = 0.001;

/** Not yet computed, in a term's per-entry row. */
const UNKNOWN = -1;

export interface EntryFuzzy {
  /**
   * Similarity (1 − fuse score; 0 = no term matched) of each entry in `entries` (all when omitted) to the
   * message tokens, written into a new array indexed by entry.
   */
  scores(tokens: readonly string[], entries?: readonly number[]): Float64Array;
}

/**
 * The term cut into (most errors bitap allows) + 1 pieces. A match with at most that many errors (insertions,
 * deletions, substitutions) leaves at least one piece intact (pigeonhole), so a text that contains none of the
 * pieces cannot match and is not searched: most of the KB, for a word it does not have ("kemper", "tuesday").
 * Bitap allows i errors while i / length ≤ threshold (fuse's score with `ignoreLocation`).
 */
export function piecesOf(term: string): string[] {
  const errors = Math.floor(FUSE_OPTIONS.threshold * term.length + 1e-9);
  const count = Math.min(errors + 1, term.length);
  const pieces: string[] = [];
  for (let i = 0; i < count; i += 1) pieces.push(term.slice(Math.floor((i * term.length) / count), Math.floor(((i + 1) * term.length) / count)));
  return pieces;
}

/** `vocabularies[i]`: entry i's normalised vocabulary, its words separated by spaces. */
export function createEntryFuzzy(vocabularies: readonly string[]): EntryFuzzy {
  const count = vocabularies.length;
  const texts = vocabularies.map((v) => v.toLowerCase());
  // Document frequency of each word over the entries that have a vocabulary at all, as fuse's inverted index counts it.
  const df = new Map<string, number>();
  let fieldCount = 0;
  for (const text of texts) {
    const words = new Set(text.match(/[\p{L}\p{M}\p{N}_]+/gu) ?? []);
    if (words.size === 0) continue;
    fieldCount += 1;
    for (const w of words) df.set(w, (df.get(w) ?? 0) + 1);
  }
  /**
   * Bitap score (0 exact … 1 none) of a KB word against each entry, filled in as entries are asked for; a word's row
   * is made the first time a message has the word (a large KB's words × entries are never all allocated up front).
   */
  const known = new Map<string, Float64Array>();
  const rowOf = (term: string): Float64Array | undefined => {
    if (!df.has(term)) return undefined; // not a KB word: searched afresh, never kept
    let row = known.get(term);
    if (!row) known.set(term, (row = new Float64Array(count).fill(UNKNOWN)));
    return row;
  };
  const all = Array.from({ length: count }, (_, i) => i);

  const bitap = (term: string, pieces: readonly string[], entry: number): number => {
    const text = texts[entry];
    if (!pieces.some((p) => text.includes(p))) return 1; // cannot be within the threshold (see `piecesOf`)
    const result = Fuse.match(term, text, FUSE_OPTIONS);
    return result.isMatch ? (result.score ?? 0) : 1;
  };

  return {
    scores(tokens, entries = all) {
      const out = new Float64Array(count);
      const terms = tokens.map((t) => t.toLowerCase()).filter((t) => t.length > 0 && t.length <= MAX_FUSE_TOKEN_LENGTH);
      if (terms.length === 0 || entries.length === 0) return out;
      const idf = terms.map((t) => {
        const d = df.get(t) ?? 0;
        return Math.log(1 + (fieldCount - d + 0.5) / (d + 0.5));
      });
      const maxPossible = idf.reduce((a, b) => a + b, 0);
      const rows = terms.map(rowOf);
      const pieces = terms.map(piecesOf);
      for (const entry of entries) {
        let weighted = 0;
        let matched = false;
        for (let k = 0; k < terms.length; k += 1) {
          const row = rows[k];
          let score: number;
          if (row) {
            if (row[entry] === UNKNOWN) row[entry] = bitap(terms[k], pieces[k], entry);
            score = row[entry];
          } else {
            score = bitap(terms[k], pieces[k], entry);
          }
          if (score < 1) {
            matched = true;
            weighted += idf[k] * (1 - score);
          }
        }
        if (!matched) continue;
        const normalized = maxPossible > 0 ? 1 - weighted / maxPossible : 0;
        out[entry] = 1 - Math.max(MIN_SCORE, normalized);
      }
      return out;
    },
  };
}

/**
 * The FAQ service's decision cache (dialogs/faq.ts): a small LRU keyed by sha256 of the text. Same decisions as
 * the matcher, the same object on a repeat (also when other texts came in between, as when turns interleave),
 * never more than its size, and never the message text as a key. No timing here: speed is `npm run bench`.
 */
import { createFaqService, FAQ_DECISION_CACHE_SIZE } from '../../dialogs/faq';
import { loadDefaultKnowledgeBase } from '../../knowledge/load';
import { createMatcher } from '../../knowledge/matcher';
import { sha256 } from '../../services/crypto';

const kb = loadDefaultKnowledgeBase();
const TEXTS = ['I forgot my username', 'how do I reset my password', 'cant log in 2 portal', 'i need a refill on my meds', 'my acct is locked'];

/** Every string reachable from `value` (keys and values of maps, objects, arrays), bounded in depth. */
function stringsIn(value: unknown, depth = 0, out: string[] = []): string[] {
  if (depth > 6 || value === null || value === undefined) return out;
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Map || Array.isArray(value) || typeof value === 'object') {
    const pairs = value instanceof Map ? [...value] : Array.isArray(value) ? value.map((v) => ['', v]) : Object.entries(value as object);
    for (const [k, v] of pairs) {
      stringsIn(k, depth + 1, out);
      stringsIn(v, depth + 1, out);
    }
  }
  return out;
}

describe('FAQ decision cache', () => {
  it('decides exactly as the matcher does', () => {
    const faq = createFaqService(kb);
    const matcher = createMatcher(kb);
    for (const text of TEXTS) expect(faq.decide(text)).toEqual(matcher.decide(text));
  });

  it('returns the same decision object for a repeated text, also when other texts came in between', () => {
    const faq = createFaqService(kb);
    const first = TEXTS.map((t) => faq.decide(t));
    // Interleaved turns: each text again, in another order, after all the others.
    for (const [i, text] of [...TEXTS.entries()].reverse()) expect(faq.decide(text)).toBe(first[i]);
  });

  it('holds at most its size, evicting the least recently used text', () => {
    const faq = createFaqService(kb, 3);
    const a = faq.decide(TEXTS[0]);
    faq.decide(TEXTS[1]);
    faq.decide(TEXTS[2]);
    expect(faq.decide(TEXTS[0])).toBe(a); // TEXTS[0] is now the most recent; TEXTS[1] the least
    const b = faq.decide(TEXTS[3]); // evicts TEXTS[1]
    expect(faq.cacheSize()).toBe(3);
    expect(faq.decide(TEXTS[0])).toBe(a);
    expect(faq.decide(TEXTS[3])).toBe(b);
    const again = faq.decide(TEXTS[1]); // decided afresh: a new object, an equal decision
    expect(again).toEqual(createMatcher(kb).decide(TEXTS[1]));
    expect(faq.cacheSize()).toBe(3);
  });

  it('stays bounded by its default size over many distinct texts', () => {
    const faq = createFaqService(kb);
    for (let i = 0; i < FAQ_DECISION_CACHE_SIZE + 50; i += 1) faq.decide(`question number ${i} about my password`);
    expect(faq.cacheSize()).toBe(FAQ_DECISION_CACHE_SIZE);
  });

  it('never keeps the message text as a key', () => {
    // Reaches the cache through the closure the way a heap snapshot would: spy on Map.prototype.set.
    const keys: unknown[] = [];
    const realSet = Map.prototype.set;
    const spy = jest.spyOn(Map.prototype, 'set').mockImplementation(function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
      keys.push(k);
      return realSet.call(this, k, v);
    });
    let faq;
    try {
      faq = createFaqService(kb); // the matcher's own maps are built here, before the texts arrive
      keys.length = 0;
      const secret = 'my email is maria.gonzalez@example.com and I forgot my username';
      faq.decide(secret);
      faq.decide(secret);
      expect(keys).not.toContain(secret);
      expect(keys).toContain(sha256(secret));
      expect(stringsIn(keys).some((k) => k.includes('maria.gonzalez'))).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

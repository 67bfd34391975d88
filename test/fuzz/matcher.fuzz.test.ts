/**
 * Fuzz (fast-check): the matcher (knowledge/) takes any text — huge, control characters, emoji, mixed scripts,
 * HTML — and always returns a well-formed decision, the same one for the same text, quickly.
 */
import fc from 'fast-check';
import { realKb, realMatcher } from '../knowledge/helpers';
import { hostileText, NASTY } from './arbitraries';

const matcher = realMatcher();
const ids = new Set(realKb().entries.map((e) => e.id));

describe('matcher under hostile text', () => {
  it.each(NASTY.map((t) => [t.slice(0, 40), t]))('answers %j without throwing (Object.prototype names included)', (_, text) => {
    expect(['emergency', 'answer', 'clarify', 'none']).toContain(matcher.decide(text).type);
  });

  it('returns a valid, deterministic decision for any text', () => {
    fc.assert(
      fc.property(hostileText(), (text) => {
        const started = performance.now();
        const d = matcher.decide(text);
        const ms = performance.now() - started;
        expect(['emergency', 'answer', 'clarify', 'none']).toContain(d.type);
        expect(Array.isArray(d.candidates)).toBe(true);
        for (const c of d.candidates) {
          expect(ids.has(c.id)).toBe(true);
          expect(c.confidence).toBeGreaterThanOrEqual(0);
          expect(c.confidence).toBeLessThanOrEqual(1);
        }
        if (d.type === 'answer') {
          expect(ids.has(d.id)).toBe(true);
          expect(Number.isFinite(d.confidence)).toBe(true);
        }
        if (d.type === 'clarify') expect(d.candidates.length).toBeGreaterThan(1);
        expect(matcher.decide(text)).toEqual(d);
        // Even 5,000 characters must not stall the event loop (the host refuses longer text). A slow call is
        // timed once more, so a pause of this shared machine (GC, another test) is not taken for a slow input.
        const again = () => {
          const t0 = performance.now();
          matcher.decide(text);
          return performance.now() - t0;
        };
        expect(ms < 250 ? ms : again()).toBeLessThan(250);
        expect(() => matcher.explain(text)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

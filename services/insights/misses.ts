/**
 * Learning from misses: questions the bot could not answer (or answered with low confidence) are counted
 * per KB id — "none" when nothing matched — per day, without storing their text. With
 * `LOG_UNANSWERED=redacted` the text is kept too, after redaction (emails, phone numbers, dates, every
 * number, and names the patient gave), for 30 days, so staff can improve the knowledge base
 * (`npm run --silent admin -- kb:misses`).
 *
 * Keys: `pb:kb:misses:<yyyy-mm-dd>` (hash: kb id → count, kept 30 days) and `pb:kb:miss-texts` (sorted set
 * scored by time, trimmed to 30 days).
 */
import { randomUUID } from 'node:crypto';
import type { Keys, RedisClient } from '../redis';
import { defineScript, type ScriptFn } from '../state/scripts';

export const MISS_RETENTION_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export type UnansweredLogging = 'off' | 'redacted';

export interface Miss {
  /** The best KB id when the answer was uncertain, or "none" when nothing matched. */
  kbId: string;
  /** What the patient typed; stored only (redacted) with `LOG_UNANSWERED=redacted`. */
  text: string;
  /** Names the patient gave in this conversation, to remove from the text. */
  names?: string[];
}

export interface MissReport {
  days: number;
  counts: Array<{ kbId: string; count: number }>;
  /** Redacted texts, newest first (only with `LOG_UNANSWERED=redacted`). */
  texts: Array<{ at: string; kbId: string; text: string }>;
}

export interface MissLog {
  record(miss: Miss): Promise<void>;
  report(days?: number): Promise<MissReport>;
}

/**
 * Removes what could identify a patient from a question: email addresses, phone numbers, dates, every
 * remaining number, the names given, and a word after "my name is" / "I'm" / "this is".
 * @example redactQuestion('my name is Ann, call 555 867 5309', []) // 'my name is [name], call [phone]'
 */
export function redactQuestion(text: string, names: readonly string[] = []): string {
  let out = text
    .replace(/[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g, '[email]')
    .replace(/\b\d{1,4}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b/g, '[date]')
    .replace(/\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{2,4}\b/gi, '[date]')
    .replace(/\b\d{1,2}(st|nd|rd|th)?\s+(of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*,?\s+\d{2,4}\b/gi, '[date]')
    .replace(/\+?\(?\d[\d\s().-]{5,}\d/g, '[phone]')
    .replace(/\d+/g, '[number]')
    .replace(/\b(my name is|my name's|i am|i'm|im|this is|name:)\s+([\p{Lu}][\p{L}'’-]*)(\s+[\p{Lu}][\p{L}'’-]*)?/giu, '$1 [name]');
  for (const name of names) {
    const trimmed = name.trim();
    if (trimmed.length < 2) continue;
    out = out.replace(new RegExp(`\\b${trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'giu'), '[name]');
  }
  return out;
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * KEYS[1] the day's counts, KEYS[2] the texts; ARGV: kb id, TTL seconds, then (redacted logging) score, entry,
 * oldest score kept.
 */
const RECORD_LUA = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[3] then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return 1
`;

export class RedisMissLog implements MissLog {
  private readonly recordScript: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly logging: UnansweredLogging,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.recordScript = defineScript(redis, 'pbMissRecord', 2, RECORD_LUA);
  }

  // One hash tag for the counts and the texts: `record` writes both in one script (one cluster slot).
  private countKey(date: string): string {
    return this.keys.tagged('kb', 'misses', date);
  }

  private textsKey(): string {
    return this.keys.tagged('kb', 'misses', 'texts');
  }

  /** Counts the miss (and keeps its redacted text, when configured) in one script: one command on the wire, not a MULTI of three to five. */
  async record(miss: Miss): Promise<void> {
    const at = this.now();
    const ttl = String(MISS_RETENTION_DAYS * 24 * 3600);
    const args = [this.countKey(day(at)), this.textsKey(), miss.kbId, ttl];
    if (this.logging === 'redacted') {
      const entry = JSON.stringify({ id: randomUUID(), at: at.toISOString(), kbId: miss.kbId, text: redactQuestion(miss.text, miss.names).slice(0, 500) });
      args.push(String(at.getTime()), entry, String(at.getTime() - MISS_RETENTION_DAYS * DAY_MS));
    }
    await this.recordScript(...args);
  }

  async report(days = MISS_RETENTION_DAYS): Promise<MissReport> {
    const at = this.now();
    const totals = new Map<string, number>();
    for (let i = 0; i < days; i += 1) {
      const counts = await this.redis.hgetall(this.countKey(day(new Date(at.getTime() - i * DAY_MS))));
      for (const [kbId, n] of Object.entries(counts)) totals.set(kbId, (totals.get(kbId) ?? 0) + Number(n));
    }
    const raw = await this.redis.zrevrangebyscore(this.textsKey(), '+inf', at.getTime() - days * DAY_MS);
    const texts = raw.map((r) => JSON.parse(r) as { at: string; kbId: string; text: string }).map(({ at: when, kbId, text }) => ({ at: when, kbId, text }));
    const counts = [...totals].map(([kbId, count]) => ({ kbId, count })).sort((a, b) => b.count - a.count || a.kbId.localeCompare(b.kbId));
    return { days, counts, texts };
  }
}

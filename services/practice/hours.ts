/**
 * The practice's opening hours: parsed once from PRACTICE_HOURS ("Mon-Fri 08:00-17:00; Sat 09:00-12:00") and
 * asked "open now?" in the practice's time zone. Config validates the text with `parsePracticeHours`; the
 * dialogs say whether a person can be reached now with `isPracticeOpen`.
 */
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAYS)[number];

/** One opening rule: on these days (0 = Monday), from `open` to `close` minutes after midnight. */
export interface OpeningRule {
  days: number[];
  openMinute: number;
  closeMinute: number;
}

export interface PracticeHours {
  /** The text as configured, shown to patients ("Mon-Fri 08:00-17:00"). */
  text: string;
  rules: OpeningRule[];
}

const HOURS_SEGMENT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?\s+([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** Parses `Mon-Fri 08:00-17:00; Sat 09:00-12:00` into rules; returns an error text when it cannot. */
export function parsePracticeHours(text: string): PracticeHours | string {
  const rules: OpeningRule[] = [];
  for (const raw of text.split(/[;,]/)) {
    const segment = raw.trim().replace(/\s+/g, ' ');
    const m = HOURS_SEGMENT.exec(segment);
    if (!m) return `"${segment}" is not like "Mon-Fri 08:00-17:00" (several may be joined with ";")`;
    const from = DAYS.indexOf(m[1] as Day);
    const to = m[2] ? DAYS.indexOf(m[2] as Day) : from;
    if (to < from) return `"${segment}": day range runs backwards`;
    const openMinute = Number(m[3]) * 60 + Number(m[4]);
    const closeMinute = Number(m[5]) * 60 + Number(m[6]);
    if (closeMinute <= openMinute) return `"${segment}": closing time must be after opening time`;
    const days: number[] = [];
    for (let d = from; d <= to; d += 1) days.push(d);
    rules.push({ days, openMinute, closeMinute });
  }
  return { text: text.trim(), rules };
}

/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one (asked on every miss). */
const weekdayClocks = new Map<string, Intl.DateTimeFormat>();
/** The last answer: it can only change at a minute boundary, and formatting the time is most of its cost. */
let lastAnswer: { hours: PracticeHours; timeZone: string; minute: number; open: boolean } | undefined;

/** True when the practice is open at `now`, in the practice's time zone. */
export function isPracticeOpen(hours: PracticeHours, timeZone: string, now = new Date()): boolean {
  const minuteOfEpoch = Math.floor(now.getTime() / 60_000); // every zone's offset is whole minutes
  const last = lastAnswer;
  if (last && last.minute === minuteOfEpoch && last.hours === hours && last.timeZone === timeZone) return last.open;
  const open = openAt(hours, timeZone, now);
  lastAnswer = { hours, timeZone, minute: minuteOfEpoch, open };
  return open;
}

function openAt(hours: PracticeHours, timeZone: string, now: Date): boolean {
  let clock = weekdayClocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (weekdayClocks.size < 16) weekdayClocks.set(timeZone, clock);
  }
  const parts = clock.formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = DAYS.indexOf(get('weekday') as Day);
  const minute = Number(get('hour')) * 60 + Number(get('minute'));
  return hours.rules.some((r) => r.days.includes(day) && minute >= r.openMinute && minute <= r.closeMinute);
}

/**
 * The start of the practice's day (local midnight in `timeZone`) that contains `now`: `now` minus the local
 * time of day. On a daylight-saving change day this is off by the hour that changed; the day views it serves
 * allow for that.
 */
export function startOfDay(now: Date, timeZone: string): Date {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const elapsedMs = ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + now.getMilliseconds();
  return new Date(now.getTime() - elapsedMs);
}

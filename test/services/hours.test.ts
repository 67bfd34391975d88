/**
 * "Open now?" (services/practice/hours.ts) with its formatters kept per time zone: alternating zones never mix.
 */
import { isPracticeOpen, parsePracticeHours, type PracticeHours } from '../../services/practice/hours';

const hours = parsePracticeHours('Mon-Fri 08:00-17:00') as PracticeHours;

it('answers per time zone, whichever zone was asked before', () => {
  // Monday 2026-11-30 15:00 UTC: 09:00 in Chicago (open), 00:00 Tuesday in Tokyo (closed), 15:00 in London (open).
  const at = new Date(Date.UTC(2026, 10, 30, 15, 0));
  for (let i = 0; i < 3; i += 1) {
    expect(isPracticeOpen(hours, 'America/Chicago', at)).toBe(true);
    expect(isPracticeOpen(hours, 'Asia/Tokyo', at)).toBe(false);
    expect(isPracticeOpen(hours, 'Europe/London', at)).toBe(true);
  }
  // Saturday in every one of them.
  const saturday = new Date(Date.UTC(2026, 11, 5, 15, 0));
  expect(['America/Chicago', 'Asia/Tokyo', 'Europe/London'].map((tz) => isPracticeOpen(hours, tz, saturday))).toEqual([false, false, false]);
});

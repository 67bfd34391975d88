/**
 * Waiting on what a test is really waiting for, instead of a fixed sleep.
 *
 * A fixed sleep is either too short (flaky on a slow machine) or too long (slow everywhere), and it does
 * not say what the test waits for. These helpers poll for a condition with a deadline and fail with a
 * message naming what did not happen.
 *
 * @example
 *   await waitFor(async () => (await redis.exists(key)) === 0, { what: 'the lock key to lapse' });
 *   await waitForLog(lines, '"outcome":"retry"');           // the mail worker logged a retry
 *   await expectNoMailAfter(smtp, to(rcpt), () => mailer.whenIdle()); // then: nothing (more) was sent
 */
import type { ParsedMail, TestSmtp } from './smtp';

export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Time between checks (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
}

/**
 * Resolves with the first truthy value `condition` returns, checking every `intervalMs`; rejects after
 * `timeoutMs` with "timed out after N ms waiting for <what>". Errors thrown by `condition` propagate.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 5_000, intervalMs = 20, what = 'the condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until a captured log line (see `captureLogs`-style arrays of pino lines) contains `text`; returns all lines joined. */
export async function waitForLog(lines: readonly string[], text: string, opts: WaitOptions = {}): Promise<string> {
  await waitFor(() => lines.some((l) => l.includes(text)), { what: `a log line containing ${JSON.stringify(text)}`, ...opts });
  return lines.join('');
}

/** How many log lines contain `text`. */
export function countLog(lines: readonly string[], text: string): number {
  return lines.filter((l) => l.includes(text)).length;
}

/** Waits until at least `n` captured mails match `predicate`; returns the matching mails. */
export async function waitForMail(smtp: Pick<TestSmtp, 'messages'>, predicate: (m: ParsedMail) => boolean, n = 1, opts: WaitOptions = {}): Promise<ParsedMail[]> {
  await waitFor(() => smtp.messages.filter(predicate).length >= n, { timeoutMs: 10_000, what: `${n} matching mail(s)`, ...opts });
  return smtp.messages.filter(predicate);
}

/**
 * Asserts that, once `settled` resolves (a positive signal that the work which could have sent mail is
 * over: the outbox is idle, the job completed, an audit event was recorded), exactly `expected` mails
 * match `predicate` (default 0: "no mail"). Use instead of "sleep, then expect no mail".
 */
export async function expectNoMailAfter(
  smtp: Pick<TestSmtp, 'messages'>,
  predicate: (m: ParsedMail) => boolean,
  settled: () => Promise<unknown>,
  expected = 0,
): Promise<void> {
  await settled();
  const matching = smtp.messages.filter(predicate).length;
  if (matching !== expected) throw new Error(`expected ${expected} matching mail(s) once the work settled, got ${matching}`);
}

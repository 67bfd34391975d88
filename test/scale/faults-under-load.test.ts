/**
 * The smaller version of `npm run faults` (scripts/faults-under-load.ts): two bot instances under concurrent load
 * while their Redis is killed and restarted, one instance is killed and started again, and SMTP is down for a
 * few seconds. Nothing the bot acknowledged is lost, every request is filed with exactly what was typed, and every
 * notification mail arrives exactly once.
 */
import { runFaults } from '../../scripts/faults-under-load';

it('loses no acknowledged turn and no mail, and sends none twice, through a Redis restart, a killed instance and an SMTP outage', async () => {
  const r = await runFaults({ connections: 4, seconds: 8, redisRestartAt: 2, redisDownSeconds: 1, smtpStopAt: 3, smtpOutageSeconds: 4, botKillAt: 4, botDownSeconds: 2, mailWaitSeconds: 60, log: () => undefined });
  expect(r.faults).toHaveLength(6);
  expect(r.flows.completed).toBeGreaterThan(10);
  expect(r.turns.lost).toBe(0);
  // The one allowed surprise: a last turn that committed, then missed its deadline (told "unavailable", yet filed).
  expect(r.turns.unexpected).toBe(r.turns.doneThoughUnavailable);
  expect(r.requestsWrong).toBe(0);
  expect(r.requests.http5xx + r.requests.other4xx).toBe(0);
  // A Redis outage is told as "temporarily unavailable", never as the generic turn error.
  expect(r.requests.turnErrors).toBe(0);
  // Only requests in flight on the killed instance may go unanswered.
  expect(r.requests.dropped).toBeLessThanOrEqual(4);
  expect(r.mails).toMatchObject({ lost: 0, duplicated: 0 });
  expect(r.mails.delivered).toBe(r.flows.completed);
}, 150_000);

/**
 * Learning from misses: unanswered and uncertain questions are counted per KB id ("none" when nothing
 * matched) without their text by default; with LOG_UNANSWERED=redacted the text is kept, redacted, and staff
 * read both with `admin kb:misses`.
 */
import { Conversation, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { RedisMissLog, redactQuestion } from '../../services/insights/misses';
import { runAdmin } from '../../services/admin/cli';
import { Keys } from '../../services/redis';

describe('redactQuestion', () => {
  it('removes emails, phone numbers, dates, numbers and names', () => {
    expect(redactQuestion('my name is Ann Lee, born 2/3/1980, call 555 123 4567 or ann.lee@example.com about invoice 42')).toBe(
      'my name is [name], born [date], call [phone] or [email] about invoice [number]',
    );
    expect(redactQuestion('I was born Feb 19 1952 and Robert said hi', ['Robert'])).toBe('I was born [date] and [name] said hi');
  });
});

describe.each([
  ['off', false],
  ['redacted', true],
] as const)('with LOG_UNANSWERED=%s', (logging, keepsText) => {
  let p: Practice;
  let host: TestHost;
  beforeAll(async () => {
    p = await startPractice(`misses-${logging}`, { LOG_UNANSWERED: logging });
    host = p.host;
  }, 60000);
  afterAll(() => p.stop());

  it('counts what it could not answer and keeps the text only when configured, redacted', async () => {
    const c = new Conversation(host);
    await c.say('my name is Ann Lee, can I pay invoice 4471 with my card ending 5309?');
    await c.say('what is the weather in Chicago tomorrow');
    await c.say('I forgot my password'); // answered confidently: not a miss
    const misses = new RedisMissLog(host.redis, new Keys(host.prefix), logging);
    const report = await misses.report();
    expect(report.counts.reduce((n, c2) => n + c2.count, 0)).toBe(2);
    expect(report.counts.map((c2) => c2.kbId)).toContain('none');
    if (keepsText) {
      expect(report.texts.map((t) => t.text)).toContain('my name is [name], can I pay invoice [number] with my card ending [number]?');
    } else {
      expect(report.texts).toEqual([]);
    }
    const read = async (key: string): Promise<unknown> => ((await host.redis.type(key)) === 'hash' ? host.redis.hgetall(key) : host.redis.zrange(key, 0, -1));
    const missKeys = await host.redis.keys(`${host.prefix}:{kb:misses}:*`);
    expect(missKeys.length).toBeGreaterThan(0);
    const stored = JSON.stringify(await Promise.all(missKeys.map(read)));
    expect(stored).not.toMatch(/Ann|Lee|4471|5309/);

    const lines: string[] = [];
    const code = await runAdmin(['kb:misses'], { ...host.app.services, misses, sendMail: async () => undefined }, { out: (l) => lines.push(l), err: (l) => lines.push(l), readStdin: async () => '' });
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/^\s+\d+\s+none$/m);
  });
});

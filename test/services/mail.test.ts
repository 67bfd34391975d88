/**
 * The mailer against real Redis (TEST_REDIS_URL, db 12, keys under a per-run prefix, deleted afterwards)
 * and a real SMTP server. No fixed sleeps: tests wait for the worker's log line, the mail, or the outbox
 * to settle (`mailer.whenIdle()`), then assert.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../services/config';
import { createLogger, type Logger } from '../../services/logger';
import {
  createMailer,
  loadTemplates,
  outboxJobId,
  renderTemplate,
  TemplateError,
  TEMPLATE_NAMES,
  type Brand,
  type Mailer,
  type MailerDeps,
} from '../../services/mail';
import { OUTBOX_QUEUE, outboxPrefix } from '../../services/mail/outbox';
import { DEFAULT_TEMPLATES_DIR } from '../../services/mail/templates';
import { createRedis, type RedisClient } from '../../services/redis';
import { connectTestRedis, deleteKeysMatching, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { startTestSmtp, type ParsedMail, type TestSmtp } from '../helpers/smtp';
import { expectNoMailAfter, waitFor, waitForLog } from '../helpers/wait';

const DB = 12;
const REDIS_URL = `${TEST_REDIS_URL}/${DB}`;
const RUN = uniquePrefix('mail');
const FAST_RETRY = { attempts: 10, baseDelayMs: 300, maxDelayMs: 1_500 };

let admin: ReturnType<typeof connectTestRedis>;
let smtp: TestSmtp;
const closers: Array<() => Promise<unknown> | unknown> = [];
const tempDirs: string[] = [];
let seq = 0;

function config(env: Record<string, string | undefined>): Config {
  seq += 1;
  return loadConfig({
    NODE_ENV: 'test',
    REDIS_URL,
    // One prefix per test (all starting with RUN), so no test's worker picks up another test's jobs.
    REDIS_KEY_PREFIX: `${RUN}-${seq}`,
    PRACTICE_NAME: 'Maple & Oak Clinic',
    PRACTICE_PHONE: '(555) 010-0199',
    PRACTICE_HOURS: 'Mon-Fri 08:00-17:00',
    MAIL_FROM: 'Portal Help <no-reply@maple-oak.example>',
    ...env,
  });
}

function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination: DestinationStream = { write: (s: string) => void lines.push(s) };
  return { logger: createLogger('debug', destination), lines };
}

/** A mailer plus everything it needs, closed after all tests. */
async function mailerFor(
  env: Record<string, string | undefined>,
  opts: { embedded?: boolean; start?: boolean } & Partial<Pick<MailerDeps, 'retry'>> = {},
): Promise<{ mailer: Mailer; cfg: Config; lines: string[]; redis: RedisClient }> {
  const cfg = config(env);
  const { logger, lines } = captureLogs();
  const { redis, embedded } = createRedis({ url: opts.embedded ? undefined : cfg.redisUrl, logger });
  const mailer = createMailer({ config: cfg, redis, embedded, logger, retry: opts.retry ?? FAST_RETRY });
  closers.push(async () => {
    await mailer.close();
    redis.disconnect();
  });
  if (opts.start !== false) await mailer.start();
  return { mailer, cfg, lines, redis };
}

const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address));
const to = (address: string) => (m: ParsedMail) => recipients(m).includes(address);
const uniqueRecipient = () => `patient-${randomBytes(4).toString('hex')}@example.org`;

async function freePort(): Promise<number> {
  const s = await startTestSmtp();
  await s.stop();
  return s.port;
}

beforeAll(async () => {
  admin = connectTestRedis(DB);
  smtp = await startTestSmtp();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await smtp.stop();
  // Clean up only this run's keys.
  await deleteKeysMatching(admin, `${RUN}-*`);
  await deleteKeysMatching(admin, `{${RUN}-*`);
  await admin.quit();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('templates', () => {
  const templates = loadTemplates();
  const brand: Brand = { practiceName: 'Maple & Oak Clinic', practicePhone: '(555) 010-0199', practiceHours: 'Mon-Fri 08:00-17:00' };

  it('loads every template, each branded and telling the reader what to do if they did not ask', () => {
    expect([...templates.byName.keys()].sort()).toEqual([...TEMPLATE_NAMES].sort());
    const sample: Record<string, Record<string, string>> = {
      'username-reminder': { username: 'ann.lee' },
      'reset-link': { resetUrl: 'https://help.example.org/reset?token=abc', minutes: '30' },
      'password-changed': { time: 'March 3 at 2:14 PM' },
      'enrollment-token': { token: 'ENR-1234' },
      'practice-request': { requestId: 'R-1001', kind: 'token renewal' },
      'request-received': { requestId: 'R-1001' },
      'practice-request-summary': { count: '7' },
      'mail-failed': { jobId: 'mail-0123abcd', template: 'reset-link', hours: '24' },
      'enroll-invitation': { enrollUrl: 'https://help.example.org/enroll?token=abc', days: '7' },
      'verify-email': { verifyUrl: 'https://help.example.org/enroll/verify?token=abc', hours: '48' },
    };
    for (const name of TEMPLATE_NAMES) {
      const mail = renderTemplate(templates, name, sample[name], brand);
      expect(mail.subject).not.toMatch(/\{\{|\}\}/);
      for (const body of [mail.text, mail.html]) {
        expect(body).toContain('(555) 010-0199');
        expect(body).toContain('Mon-Fri 08:00-17:00');
        expect(body).not.toMatch(/\{\{|\}\}/);
        for (const value of Object.values(sample[name])) expect(body).toContain(value);
      }
      expect(mail.text).toContain('Maple & Oak Clinic');
      expect(mail.html).toContain('Maple &amp; Oak Clinic');
      // Staff notices go to the practice, not to a patient who may not have asked.
      const toStaff = ['practice-request', 'practice-request-summary', 'mail-failed'];
      if (!toStaff.includes(name)) expect(mail.text).toMatch(/didn't (ask|change|send)/);
    }
  });

  it('escapes data in the HTML body but not in the text body', () => {
    const mail = renderTemplate(templates, 'username-reminder', { username: '<b>"x"&\'y\'</b>' }, brand);
    expect(mail.html).toContain('&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>"x"');
    expect(mail.text).toContain('<b>"x"&\'y\'</b>');
    const link = renderTemplate(templates, 'reset-link', { resetUrl: 'https://h.example/reset?token=a&b="c"', minutes: '30' }, brand);
    expect(link.html).toContain('href="https://h.example/reset?token=a&amp;b=&quot;c&quot;"');
  });

  it('rejects missing, unknown and malformed data', () => {
    expect(() => renderTemplate(templates, 'reset-link', { resetUrl: 'https://h.example/r' }, brand)).toThrow(/needs data field\(s\): minutes/);
    expect(() => renderTemplate(templates, 'reset-link', { resetUrl: 'https://h.example/r', minutes: '' }, brand)).toThrow(TemplateError);
    expect(() => renderTemplate(templates, 'username-reminder', { username: 'a', userName: 'b' }, brand)).toThrow(/does not use data field\(s\): userName/);
    expect(() => renderTemplate(templates, 'reset-link', { resetUrl: 'javascript:alert(1)', minutes: '30' }, brand)).toThrow(/http\(s\) URL/);
  });

  it('rejects template files with an undeclared placeholder or an invalid template.json at load', () => {
    const copy = (mutate: (dir: string) => void) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-tpl-'));
      tempDirs.push(dir);
      fs.cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
      mutate(dir);
      return dir;
    };
    const typo = copy((d) => fs.appendFileSync(path.join(d, 'reset-link', 'text.txt'), '\n{{resetURL}}\n'));
    expect(() => loadTemplates(typo)).toThrow(/reset-link\/text\.txt uses undeclared placeholder\(s\) \{\{resetURL\}\}/);
    const broken = copy((d) => fs.appendFileSync(path.join(d, 'reset-link', 'html.html'), '\n{{ oops\n'));
    expect(() => loadTemplates(broken)).toThrow(/malformed placeholder/);
    const badJson = copy((d) => fs.writeFileSync(path.join(d, 'password-changed', 'template.json'), JSON.stringify({ subject: 'x', fields: { time: 'date' } })));
    expect(() => loadTemplates(badJson)).toThrow(/password-changed\/template\.json is invalid/);
    const unused = copy((d) =>
      fs.writeFileSync(path.join(d, 'enrollment-token', 'template.json'), JSON.stringify({ description: 'd', subject: 's', fields: { token: 'text', extra: 'text' } })),
    );
    expect(() => loadTemplates(unused)).toThrow(/declares field\(s\) extra that no body uses/);
  });
});

describe('mailer with Redis (BullMQ) and SMTP', () => {
  it('delivers a branded text + HTML mail with the right subject, and logs no recipient or data', async () => {
    const { mailer, lines } = await mailerFor({ SMTP_URL: smtp.url });
    const rcpt = uniqueRecipient();
    const resetUrl = `https://help.example.org/reset?token=${randomBytes(16).toString('hex')}`;
    await mailer.send({ to: rcpt, template: 'reset-link', data: { resetUrl, minutes: '30' }, idempotencyKey: `reset:${rcpt}` });
    const mail = await smtp.waitFor(to(rcpt), 10_000);

    expect(mail.subject).toBe('Reset your Maple & Oak Clinic patient portal password');
    expect(mail.from?.value[0].address).toBe('no-reply@maple-oak.example');
    expect(mail.messageId).toBe(`<${outboxJobId(`reset:${rcpt}`)}@maple-oak.example>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain(resetUrl);
    expect(mail.text).toContain('expires in 30 minutes');
    expect(mail.text).toContain("If you didn't ask for this");
    expect(mail.text).toContain('(555) 010-0199');
    expect(mail.html).toContain(`href="${resetUrl}"`);
    expect(mail.html).toContain('Maple &amp; Oak Clinic');

    const log = await waitForLog(lines, '"outcome":"sent"');
    expect(log).toContain('"outcome":"sent"');
    expect(log).toContain('"template":"reset-link"');
    expect(log).not.toContain(rcpt);
    expect(log).not.toContain(resetUrl.split('=')[1]);
  });

  it('sends a message once however often the same idempotency key is used', async () => {
    const { mailer, cfg, lines } = await mailerFor({ SMTP_URL: smtp.url });
    const rcpt = uniqueRecipient();
    const msg = { to: rcpt, template: 'username-reminder' as const, data: { username: 'ann.lee' }, idempotencyKey: `username:${rcpt}` };
    await Promise.all([mailer.send(msg), mailer.send(msg), mailer.send(msg)]);
    await smtp.waitFor(to(rcpt), 10_000);
    await mailer.send(msg); // after delivery: the sent marker stops it

    // Even once the queue has forgotten the job, the sent marker keeps it from going out again.
    const jobId = outboxJobId(msg.idempotencyKey);
    expect(await admin.exists(`${cfg.keyPrefix}:mail:sent:${jobId}`)).toBe(1);
    const queue = new Queue(OUTBOX_QUEUE, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: outboxPrefix(cfg.keyPrefix) });
    // The completed job is remembered (for dedupe) but no longer holds the recipient or the data.
    const job = await waitFor(async () => {
      const j = await queue.getJob(jobId);
      return j?.finishedOn ? j : undefined;
    }, { what: 'the job to be marked complete' });
    expect(job.data).toEqual({ template: 'username-reminder', delivered: true });
    const stored = JSON.stringify(await admin.hgetall(`${outboxPrefix(cfg.keyPrefix)}:${OUTBOX_QUEUE}:${jobId}`));
    expect(stored).not.toContain(rcpt);
    expect(stored).not.toContain('ann.lee');
    await queue.remove(jobId);
    expect(await queue.getJob(jobId)).toBeUndefined();
    await queue.close();
    await mailer.send(msg);
    // The repeat was refused at the door (sent marker): nothing was queued, so nothing more can go out.
    expect(await waitForLog(lines, '"outcome":"skipped-already-sent"')).toContain('not queued again');
    await expectNoMailAfter(smtp, to(rcpt), () => mailer.whenIdle(), 1);
  });

  it('does not resend a queued job whose mail already went out (crash after send)', async () => {
    const { mailer, cfg, lines } = await mailerFor({ SMTP_URL: smtp.url }, { start: false });
    const rcpt = uniqueRecipient();
    const msg = { to: rcpt, template: 'enrollment-token' as const, data: { token: 'ENR-XYZ' }, idempotencyKey: `enroll:${rcpt}` };
    await mailer.send(msg); // queued, no worker yet
    // As if an earlier attempt delivered it and the process died before BullMQ marked the job complete.
    await admin.set(`${cfg.keyPrefix}:mail:sent:${outboxJobId(msg.idempotencyKey)}`, '1', 'EX', 60);
    await mailer.start();
    expect(await waitForLog(lines, 'skipped-already-sent')).toContain('"outcome":"skipped-already-sent"');
    await expectNoMailAfter(smtp, to(rcpt), () => mailer.whenIdle());
  });

  it('gives up at once on a job without a sealed recipient (no plain-text job shape is read)', async () => {
    const { mailer, cfg, lines } = await mailerFor({ SMTP_URL: smtp.url }, { start: false });
    const queue = new Queue(OUTBOX_QUEUE, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: outboxPrefix(cfg.keyPrefix) });
    await queue.add('mail', { to: 'old-shape@example.org', template: 'username-reminder', data: { username: 'x' } }, { jobId: 'mail-unsealed' });
    await queue.close();
    await mailer.start();
    expect(await waitForLog(lines, '"outcome":"gave-up"')).not.toContain('"outcome":"retry"');
    await expectNoMailAfter(smtp, to('old-shape@example.org'), () => mailer.whenIdle());
  });

  it('rides out an SMTP outage: the mail arrives once the server is back, exactly once', async () => {
    const port = await freePort();
    const { mailer, lines } = await mailerFor({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    const rcpt = uniqueRecipient();
    const started = Date.now();
    await mailer.send({ to: rcpt, template: 'password-changed', data: { time: 'today at 9:00 AM' }, idempotencyKey: `changed:${rcpt}` });
    expect(Date.now() - started).toBeLessThan(1_000); // the caller never waits for SMTP

    // At least one attempt failed and was scheduled for a retry (not given up).
    expect(await waitForLog(lines, '"outcome":"retry"', { timeoutMs: 10_000 })).not.toContain('"outcome":"gave-up"');
    const revived = await startTestSmtp(port);
    closers.push(() => revived.stop());
    const mail = await revived.waitFor(to(rcpt), 10_000);
    expect(mail.subject).toBe('Your Maple & Oak Clinic patient portal password was changed');
    await expectNoMailAfter(revived, to(rcpt), () => mailer.whenIdle(), 1);
    expect(lines.join('')).not.toContain(rcpt);
  });

  it('writes .eml files to the outbox folder when SMTP_URL is not set, logging the path only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-outbox-'));
    tempDirs.push(dir);
    const { mailer, lines } = await mailerFor({ SMTP_URL: undefined, OUTBOX_DIR: dir });
    const rcpt = uniqueRecipient();
    await mailer.send({ to: rcpt, template: 'practice-request', data: { requestId: 'R-2002', kind: 'token renewal' }, idempotencyKey: 'req:R-2002' });
    await waitFor(() => fs.readdirSync(dir).length > 0, { timeoutMs: 10_000, what: 'an .eml file in the outbox folder' });
    await mailer.whenIdle();
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const file = path.join(dir, files[0]);
    const eml = fs.readFileSync(file, 'utf8');
    expect(eml).toMatch(/^Subject: New patient portal request R-2002 \(token renewal\)$/m);
    expect(eml).toContain(rcpt);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const log = await waitForLog(lines, '"outcome":"written"');
    expect(log).toContain(JSON.stringify(file));
    expect(log).not.toContain(rcpt);
  });

  it('refuses bad messages in the caller, naming the field but not its value', async () => {
    const { mailer } = await mailerFor({ SMTP_URL: smtp.url });
    await expect(mailer.send({ to: 'not-an-address', template: 'username-reminder', data: { username: 'a' }, idempotencyKey: 'k1' })).rejects.toThrow(
      'mailer.send: invalid to',
    );
    await expect(mailer.send({ to: uniqueRecipient(), template: 'reset-link', data: { resetUrl: 'https://x.example/r' }, idempotencyKey: 'k2' })).rejects.toThrow(
      TemplateError,
    );
  });

  it('refuses to start in production without SMTP_URL', () => {
    const cfg = config({ SMTP_URL: undefined });
    const { logger } = captureLogs();
    const prod: Config = { ...cfg, nodeEnv: 'production', mail: { ...cfg.mail, smtpUrl: undefined } };
    expect(() => createMailer({ config: prod, redis: admin, embedded: false, logger })).toThrow(/SMTP_URL is required in production/);
  });
});

describe('mailer in embedded mode (ioredis-mock, in-process outbox)', () => {
  it('delivers, dedupes by idempotency key, and retries through an outage', async () => {
    const { mailer, lines } = await mailerFor({ SMTP_URL: smtp.url }, { embedded: true });
    const rcpt = uniqueRecipient();
    const msg = { to: rcpt, template: 'request-received' as const, data: { requestId: 'R-3003' }, idempotencyKey: `received:${rcpt}` };
    await Promise.all([mailer.send(msg), mailer.send(msg)]);
    const mail = await smtp.waitFor(to(rcpt), 5_000);
    expect(mail.subject).toBe('We received your request (R-3003) - Maple & Oak Clinic');
    await mailer.whenIdle(); // delivered and its sent marker stored
    await mailer.send(msg);
    expect(await waitForLog(lines, 'not queued again')).toContain('"outcome":"skipped-already-sent"');

    const port = await freePort();
    const { mailer: offline, lines: offlineLines } = await mailerFor({ SMTP_URL: `smtp://127.0.0.1:${port}` }, { embedded: true });
    const rcpt2 = uniqueRecipient();
    await offline.send({ ...msg, to: rcpt2, idempotencyKey: `received:${rcpt2}` });
    await waitForLog(offlineLines, '"outcome":"retry"');
    const revived = await startTestSmtp(port);
    closers.push(() => revived.stop());
    await revived.waitFor(to(rcpt2), 10_000);

    await expectNoMailAfter(smtp, to(rcpt), () => mailer.whenIdle(), 1);
    await expectNoMailAfter(revived, to(rcpt2), () => offline.whenIdle(), 1);
  });
});

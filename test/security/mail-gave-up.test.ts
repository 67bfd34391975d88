/**
 * Issue 8: SMTP refusing a mail for longer than the retry window. The outbox retries with capped
 * exponential backoff for MAIL_RETRY_HOURS (default 24 h, at most 15 minutes apart), then gives up and
 * tells staff: an audit event `mail-gave-up` (template and job id, no PHI) and a `mail-failed` email to
 * PRACTICE_NOTIFY_EMAIL with the job id. Real Redis, a real SMTP server that answers "451 try later" for
 * the patient's address, tiny delays.
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createAccountServices, type AccountServices } from '../../services/accountServices';
import { loadConfig } from '../../services/config';
import { createLogger } from '../../services/logger';
import { MAX_RETRY_DELAY_MS, outboxJobId, retryPolicyFor } from '../../services/mail';
import { deletePrefix, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const NOTIFY = 'front-desk@gaveup.test';
const PATIENT = 'unreachable.patient@gaveup.test';
const prefix = uniquePrefix('sec-gaveup');
const redisUrl = testRedisUrl(11);
const messages: ParsedMail[] = [];
let smtp: SMTPServer;
let redis: Redis;
let services: AccountServices;
const logs: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onRcptTo(address, _session, callback) {
      if (address.address === PATIENT) return callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((m) => {
        messages.push(m);
        callback();
      }, callback);
    },
  });
  smtp.on('error', () => undefined);
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    PRACTICE_NOTIFY_EMAIL: NOTIFY,
    SERVER_SECRET: 'gave-up-test-secret-0123456789-abcdef',
    OUTBOX_DIR: path.join(os.tmpdir(), `${prefix}-outbox`),
    LOG_LEVEL: 'info',
  });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  services = createAccountServices({ config, redis, embedded: false, logger, mailer: { retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 60 } } });
  await services.mailer.start();
}, 30000);

afterAll(async () => {
  await services.mailer.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await deletePrefix(redis, prefix);
  await redis.quit();
});

test('the default policy retries for at least 24 hours, never more than 15 minutes apart', () => {
  const policy = retryPolicyFor(24);
  expect(policy.maxDelayMs).toBe(MAX_RETRY_DELAY_MS);
  expect(MAX_RETRY_DELAY_MS).toBe(15 * 60_000);
  let total = 0;
  for (let retry = 1; retry < policy.attempts; retry += 1) total += Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  expect(total).toBeGreaterThanOrEqual(24 * 3_600_000);
  expect(total).toBeLessThan(24 * 3_600_000 + MAX_RETRY_DELAY_MS);
  expect(retryPolicyFor(48).attempts).toBeGreaterThan(policy.attempts);
});

test('a mail refused until the retries run out is audited as mail-gave-up and staff get a mail-failed email with its job id, no PHI', async () => {
  const idempotencyKey = 'username-reminder:gave-up-test';
  await services.mailer.send({ to: PATIENT, template: 'username-reminder', data: { username: 'secret-username-77' }, idempotencyKey });
  const jobId = outboxJobId(idempotencyKey);

  const event = await waitFor(async () => (await services.audit.tail(50)).find((e) => e.type === 'mail-gave-up'), { what: 'the mail-gave-up audit event' });
  expect(event.detail).toEqual({ template: 'username-reminder', jobId, attempts: 4 });
  expect(event.accountRef).toBeUndefined();

  const alert = await waitFor(() => messages.find((m) => JSON.stringify(m.to).includes(NOTIFY)), { what: 'the mail-failed email to the practice' });
  expect(alert.subject).toBe(`A patient portal email could not be delivered (${jobId})`);
  expect(alert.text).toContain(jobId);
  expect(alert.text).toContain('username-reminder');
  const everything = `${alert.subject}\n${alert.text}\n${alert.html}\n${JSON.stringify(event)}`;
  expect(everything).not.toContain(PATIENT);
  expect(everything).not.toContain('secret-username-77');
  // The patient's mail never went out, and exactly one alert did.
  await services.mailer.whenIdle();
  expect(messages.filter((m) => JSON.stringify(m.to).includes(PATIENT))).toHaveLength(0);
  expect(messages.filter((m) => JSON.stringify(m.to).includes(NOTIFY))).toHaveLength(1);
  expect(logs.join('')).not.toContain('secret-username-77');
}, 30000);

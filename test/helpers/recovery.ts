/**
 * The recovery use cases over the real account services: real Redis (its own db number and a unique key
 * prefix), the mail outbox delivering to a real SMTP server in this process, the demo practice imported.
 * No HTTP, no dialogs, no mocks.
 *
 * @example
 *   const f = await startRecoveryServices('recover-username', 6, { RATE_LIMIT_ACCOUNT_PER_HOUR: '3' });
 *   expect(await f.recovery.recoverUsername({ via: 'verified-email', email }, f.caller())).toBe('sent');
 *   const [mail] = await waitForMail(f.smtp, f.mailTo(email));
 *   await f.stop();                                 // closes the mailer and SMTP, deletes only f.prefix:*
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { loadConfig, type Config } from '../../services/config';
import { createLogger, type Logger } from '../../services/logger';
import { createAccountServices, type AccountServices } from '../../services/accountServices';
import { Keys } from '../../services/redis';
import { TurnLock } from '../../services/state/turnLock';
import type { Caller, Recovery, RecoveryDeps } from '../../services/recovery';
import type { AuditEvent, AuditType } from '../../services/audit';
import type { ImportFile } from '../../services/directory';
import { deletePrefix, testRedisUrl, uniquePrefix } from './redis';
import { startTestSmtp, type ParsedMail, type TestSmtp } from './smtp';

/** The demo practice the product ships (README's table of demo patients). */
export const DEMO_ACCOUNTS_PATH = path.join(__dirname, '..', '..', 'demo', 'accounts.json');

export interface DemoPatient {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  notificationEmail?: string;
  account?: {
    username: string;
    password: string;
    verifiedEmail?: string;
    securityQuestions: Array<{ question: string; answer: string }>;
    status?: 'active' | 'unenrolled';
  };
}

export function readDemoAccounts(): { patients: DemoPatient[] } {
  return JSON.parse(fs.readFileSync(DEMO_ACCOUNTS_PATH, 'utf8')) as { patients: DemoPatient[] };
}

/** A demo patient by id (throws if the demo file no longer has it, so a fixture change fails loudly). */
export function demoPatient(id: string): DemoPatient & { account: NonNullable<DemoPatient['account']> } {
  const p = readDemoAccounts().patients.find((x) => x.id === id);
  if (!p?.account) throw new Error(`demo/accounts.json has no patient ${id} with an account`);
  return p as DemoPatient & { account: NonNullable<DemoPatient['account']> };
}

export const TEST_SERVER_SECRET = 'recovery-test-secret-0123456789-abcdefghij';
export const TEST_PUBLIC_BASE_URL = 'https://help.recovery.test';

export interface RecoveryFixture {
  services: AccountServices;
  /** The use cases exactly as the product builds them (`createAccountServices(...).recovery`). */
  recovery: Recovery;
  config: Config;
  smtp: TestSmtp;
  redis: Redis;
  keys: Keys;
  prefix: string;
  /** Log lines (JSON) the services wrote. */
  logs: string[];
  /**
   * The same deps `createAccountServices` passes to `createRecovery`, built from the real services, with
   * `overrides` swapped in (a token service with an injected clock, say).
   */
  deps(overrides?: Partial<RecoveryDeps>): RecoveryDeps;
  /** A fresh caller (conversation ref unique to this call). */
  caller(requestId?: string): Caller;
  /** Mails to `address` (case-insensitive), optionally only those received at or after index `since`. */
  mailTo(address: string, since?: number): (m: ParsedMail) => boolean;
  /** Audit events of this fixture, oldest first, filtered. */
  auditEvents(filter?: Partial<Pick<AuditEvent, 'type' | 'conversationRef' | 'accountRef' | 'requestId'>> & { types?: AuditType[] }): Promise<AuditEvent[]>;
  /** The outbox has nothing queued, retrying or in flight: "no (more) mail" is meaningful after this. */
  mailIdle(): Promise<void>;
  /** Waits for the outbox to settle, then returns how many mails arrived so far (a `since` for `mailTo`). */
  mailMark(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the account services for one test file: `name` becomes part of the unique key prefix, `db` is
 * the Redis database, `env` overrides configuration (limits, PRACTICE_NOTIFY_EMAIL, …).
 * `accounts` is what to import (default: demo/accounts.json; `null`: nothing).
 */
export async function startRecoveryServices(
  name: string,
  db: number,
  env: Record<string, string> = {},
  accounts: ImportFile | unknown = readDemoAccounts(),
): Promise<RecoveryFixture> {
  const prefix = uniquePrefix(name);
  const redisUrl = testRedisUrl(db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const smtp = await startTestSmtp();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Recovery Test Clinic <no-reply@recovery.test>',
    PRACTICE_NAME: 'Recovery Test Clinic',
    PRACTICE_HOURS: 'Mon-Sun 00:00-23:59',
    PUBLIC_BASE_URL: TEST_PUBLIC_BASE_URL,
    SERVER_SECRET: TEST_SERVER_SECRET,
    OUTBOX_DIR: path.join(os.tmpdir(), `${prefix}-outbox`),
    ...env,
  });
  const logs: string[] = [];
  const logger: Logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const services = createAccountServices({
    config,
    redis,
    embedded: false,
    logger,
    mailer: { retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 500 } },
  });
  try {
    await services.mailer.start();
    if (accounts !== null) await services.directory.importPatients(accounts);
  } catch (err) {
    // A failed start must not leave the worker, the SMTP server or the connection open (Jest would hang).
    await services.mailer.close();
    await smtp.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    throw err;
  }
  const keys = new Keys(prefix);

  const deps = (overrides: Partial<RecoveryDeps> = {}): RecoveryDeps => ({
    directory: services.directory,
    tokens: services.tokens,
    mailer: services.mailer,
    audit: services.audit,
    limits: services.limits,
    securityLock: services.securityLock,
    requests: services.requests,
    accountLock: new TurnLock(redis, keys, { kind: 'acct', lockMs: 10_000, waitMs: 10_000 }),
    logger,
    serverSecret: config.serverSecret,
    publicBaseUrl: config.publicBaseUrl,
    practiceNotifyEmail: config.mail.practiceNotifyEmail,
    practiceTimeZone: config.practice.timeZone,
    ...overrides,
  });

  return {
    services,
    recovery: services.recovery,
    config,
    smtp,
    redis,
    keys,
    prefix,
    logs,
    deps,
    caller: (requestId) => ({ conversationRef: `conv-${randomUUID()}`, ...(requestId ? { requestId } : {}), turn: null }),
    mailTo: (address, since = 0) => (m) =>
      smtp.messages.indexOf(m) >= since &&
      (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a?.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()) ?? false),
    async auditEvents(filter = {}) {
      const { types, ...exact } = filter;
      const all = await services.audit.tail(10_000);
      return all.filter(
        (e) =>
          (!types || types.includes(e.type)) &&
          Object.entries(exact).every(([k, v]) => v === undefined || (e as unknown as Record<string, unknown>)[k] === v),
      );
    },
    mailIdle: () => services.mailer.whenIdle(10_000),
    async mailMark() {
      await services.mailer.whenIdle(10_000);
      return smtp.messages.length;
    },
    async stop() {
      await services.mailer.close();
      await smtp.stop();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** The reset token in a reset URL (`…/reset?token=…`) or in a mail's text. */
export function tokenFromResetUrl(text: string): string {
  const m = /\/reset\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!m) throw new Error('no reset link in the text');
  return decodeURIComponent(m[1]!);
}

/**
 * Configuration: one zod schema for the whole environment.
 *
 * Every variable the bot reads is declared here (and listed in `.env.example`). `loadConfig` reads
 * `process.env` (plus `.env`, if present), and on any problem throws a `ConfigError` whose message names
 * every bad variable and why, so an operator fixes them all in one go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { parsePracticeHours, type PracticeHours } from './practice/hours';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: int(3978, 1, 65535),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REDIS_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
        .optional(),
    ),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, "_" or "-", at most 32')
      .default('pb'),
    STATE_TTL_SECONDS: int(3600, 60, 60 * 60 * 24 * 30),
    TURN_LOCK_TIMEOUT_MS: int(15000, 1000, 120000),
    TRUST_PROXY_HOPS: int(0, 0, 10),
    PUBLIC_BASE_URL: z
      .string()
      .url('must be an absolute URL such as https://help.example-practice.org')
      .regex(/^https?:\/\//, 'must be http(s)')
      .transform((u) => u.replace(/\/+$/, ''))
      .default('http://localhost:3978'),
    PRACTICE_NAME: z.string().trim().min(1).max(100).default('Riverside Family Practice'),
    PRACTICE_PHONE: z.string().trim().min(3).max(40).default('(555) 010-0100'),
    PRACTICE_HOURS: z
      .string()
      .default('Mon-Fri 08:00-17:00')
      .superRefine((v, ctx) => {
        const hours = parsePracticeHours(v);
        if (typeof hours === 'string') ctx.addIssue({ code: 'custom', message: hours });
      }),
    PRACTICE_TIMEZONE: z.string().default('America/Chicago').refine(isTimeZone, 'not a known IANA time zone'),
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppId: z.preprocess(emptyToUndefined, z.string().optional()),
    MicrosoftAppPassword: optionalString,
    MicrosoftAppTenantId: optionalString,
    SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
    MAIL_FROM: z.string().default('Portal Help <no-reply@localhost>'),
    PRACTICE_NOTIFY_EMAIL: z.preprocess(emptyToUndefined, z.string().email().optional()),
    OUTBOX_DIR: z.string().default('outbox'),
    SERVER_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    DEMO_ACCOUNTS_FILE: z.string().default('demo/accounts.json'),
    RATE_LIMIT_CONVERSATION_PER_MINUTE: int(30, 1, 10000),
    RATE_LIMIT_IP_PER_MINUTE: int(120, 1, 100000),
    RATE_LIMIT_ACCOUNT_PER_HOUR: int(10, 1, 10000),
    RESET_EMAILS_PER_ACCOUNT_PER_HOUR: int(3, 1, 100),
    LOG_UNANSWERED: z.enum(['off', 'redacted']).default('off'),
    REQUEST_RESPONSE_TIME: z.string().trim().min(3).max(200).default('usually within one business day'),
  });

/**
 * Rules that tie variables together. Checked on the raw environment, so they are reported together
 * with any per-variable problems rather than only after those are fixed.
 */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => Boolean(env[name]?.trim());
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') {
    for (const name of ['MicrosoftAppId', 'REDIS_URL', 'SMTP_URL', 'SERVER_SECRET']) {
      if (!set(name)) problems.push(`${name}: is required in production`);
    }
  }
  const appType = env.MicrosoftAppType ?? 'MultiTenant';
  if (set('MicrosoftAppId') && appType !== 'UserAssignedMSI' && !set('MicrosoftAppPassword')) {
    problems.push('MicrosoftAppPassword: is required when MicrosoftAppId is set');
  }
  if (appType === 'SingleTenant' && set('MicrosoftAppId') && !set('MicrosoftAppTenantId')) {
    problems.push('MicrosoftAppTenantId: is required for SingleTenant');
  }
  return problems;
}

type Env = z.infer<typeof EnvSchema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  logLevel: Env['LOG_LEVEL'];
  /** Undefined means "use the in-process stand-in" (never in production). */
  redisUrl: string | undefined;
  keyPrefix: string;
  stateTtlSeconds: number;
  turnLockTimeoutMs: number;
  /** Reverse proxies in front of the host whose X-Forwarded-For entries are trusted (0 = none). */
  trustProxyHops: number;
  publicBaseUrl: string;
  practice: { name: string; phone: string; hours: PracticeHours; timeZone: string };
  microsoft: { appType: Env['MicrosoftAppType']; appId: string; appPassword: string; tenantId: string };
  mail: { smtpUrl: string | undefined; from: string; practiceNotifyEmail: string | undefined; outboxDir: string };
  /**
   * Secret for HMACs (decoy questions, audit refs) and sealing (dialog values, queued mail). Required in
   * production; elsewhere a fixed, public development value, so the bot and the admin CLI agree.
   */
  serverSecret: string;
  /** True when `serverSecret` is the public development value. */
  insecureDevSecret: boolean;
  demoAccountsFile: string;
  /** Unanswered questions are always counted per KB id; `redacted` also keeps their redacted text for 30 days. */
  logUnanswered: 'off' | 'redacted';
  /** How soon the practice answers a request, as told to patients ("usually within one business day"). */
  requestResponseTime: string;
  limits: {
    conversationPerMinute: number;
    ipPerMinute: number;
    accountPerHour: number;
    resetEmailsPerAccountPerHour: number;
  };
}

/** Used only outside production when SERVER_SECRET is unset; it is public, so it protects nothing. */
export const DEV_SERVER_SECRET = 'development-only-server-secret-not-for-production-use';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if any) without overriding variables already set in the real environment. */
export function readEnvFile(file = path.resolve(process.cwd(), '.env')): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  return parseDotenv(fs.readFileSync(file));
}

/**
 * Validates the environment and returns the typed configuration.
 * @throws ConfigError naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = { ...readEnvFile(), ...process.env }): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? '(environment)')}: ${i.message}`)),
    ...crossFieldProblems(env),
  ];
  if (!parsed.success || problems.length) throw new ConfigError([...new Set(problems)]);
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    keyPrefix: e.REDIS_KEY_PREFIX,
    stateTtlSeconds: e.STATE_TTL_SECONDS,
    turnLockTimeoutMs: e.TURN_LOCK_TIMEOUT_MS,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    practice: {
      name: e.PRACTICE_NAME,
      phone: e.PRACTICE_PHONE,
      hours: parsePracticeHours(e.PRACTICE_HOURS) as PracticeHours,
      timeZone: e.PRACTICE_TIMEZONE,
    },
    microsoft: {
      appType: e.MicrosoftAppType,
      appId: e.MicrosoftAppId ?? '',
      appPassword: e.MicrosoftAppPassword ?? '',
      tenantId: e.MicrosoftAppTenantId ?? '',
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, practiceNotifyEmail: e.PRACTICE_NOTIFY_EMAIL, outboxDir: e.OUTBOX_DIR },
    serverSecret: e.SERVER_SECRET ?? DEV_SERVER_SECRET,
    insecureDevSecret: !e.SERVER_SECRET,
    demoAccountsFile: e.DEMO_ACCOUNTS_FILE,
    logUnanswered: e.LOG_UNANSWERED,
    requestResponseTime: e.REQUEST_RESPONSE_TIME,
    limits: {
      conversationPerMinute: e.RATE_LIMIT_CONVERSATION_PER_MINUTE,
      ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
      accountPerHour: e.RATE_LIMIT_ACCOUNT_PER_HOUR,
      resetEmailsPerAccountPerHour: e.RESET_EMAILS_PER_ACCOUNT_PER_HOUR,
    },
  };
}

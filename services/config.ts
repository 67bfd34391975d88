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
import { hmac } from './crypto';
import { parseNodeList, type RedisTarget } from './redis';

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
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hexColour = (def: string) => z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #0b5cab').default(def);
const optionalHttpsUrl = z.preprocess(emptyToUndefined, z.string().url().regex(/^https:\/\//, 'must be an https:// URL').optional());

/** WCAG 2.1 contrast ratio of two #rrggbb colours (1–21). */
export function contrastRatio(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

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
    // Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME) or Cluster (REDIS_CLUSTER_NODES) instead of REDIS_URL.
    REDIS_SENTINELS: z.preprocess(emptyToUndefined, z.string().refine((v) => parseNodeList(v) !== null, 'comma-separated host:port list, e.g. 10.0.0.5:26379,10.0.0.6:26379').optional()),
    REDIS_SENTINEL_NAME: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'the master name the sentinels monitor (letters, digits, ".", "_", "-")').optional()),
    REDIS_CLUSTER_NODES: z.preprocess(emptyToUndefined, z.string().refine((v) => parseNodeList(v) !== null, 'comma-separated host:port list of cluster nodes, e.g. 10.0.0.5:6379,10.0.0.6:6379').optional()),
    REDIS_PASSWORD: optionalString,
    REDIS_SENTINEL_PASSWORD: optionalString,
    REDIS_TLS: z.preprocess(emptyToUndefined, z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, "_" or "-", at most 32')
      .default('pb'),
    STATE_TTL_SECONDS: int(3600, 60, 60 * 60 * 24 * 30),
    TURN_LOCK_TIMEOUT_MS: int(15000, 1000, 120000),
    TURN_DEADLINE_MS: int(8000, 500, 120000),
    REDIS_COMMAND_TIMEOUT_MS: int(2000, 100, 60000),
    HOST: z.preprocess(emptyToUndefined, z.string().min(1).max(255).optional()),
    DEV_CONNECTOR_PORTS: z
      .string()
      .default('')
      .refine((v) => v.split(',').map((p) => p.trim()).filter(Boolean).every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535), 'comma-separated port numbers (1-65535)'),
    RECOVERY_MIN_MS: int(250, 0, 10000),
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
    // Channels (docs/channels.md): Web Chat / Direct Line, Teams app package.
    DIRECT_LINE_SECRET: optionalString,
    DIRECT_LINE_ENDPOINT: z.preprocess(emptyToUndefined, z.string().url().regex(/^https?:\/\//, 'must be http(s)').transform((u) => u.replace(/\/+$/, '')).optional()),
    DEV_DIRECTLINE: z.preprocess(emptyToUndefined, z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
    WEBCHAT_ALLOWED_ORIGINS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .refine((v) => v.split(',').map((o) => o.trim()).filter(Boolean).every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'comma-separated origins such as https://www.example-practice.org (scheme and host, no path)')
        .optional(),
    ),
    WEBCHAT_BRAND_COLOR: hexColour('#0b5cab'),
    WEBCHAT_BRAND_TEXT_COLOR: hexColour('#ffffff'),
    TEAMS_APP_ID: z.preprocess(emptyToUndefined, z.string().regex(GUID, 'must be a GUID').optional()),
    PRACTICE_WEBSITE_URL: optionalHttpsUrl,
    PRIVACY_URL: optionalHttpsUrl,
    TERMS_URL: optionalHttpsUrl,
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
    // Abuse by volume (issue 8): new practice requests per channel user per day; practice notification
    // emails per clock hour (more are held back and summarised); how long undeliverable mail is retried.
    PRACTICE_REQUESTS_PER_USER_PER_DAY: int(3, 1, 1000),
    STAFF_NOTIFY_PER_HOUR: int(20, 1, 10000),
    MAIL_RETRY_HOURS: int(24, 1, 24 * 14),
    LOG_UNANSWERED: z.enum(['off', 'redacted']).default('off'),
    REQUEST_RESPONSE_TIME: z.string().trim().min(3).max(200).default('usually within one business day'),
    // Live handoff and the staff console (issue 10).
    HANDOFF_MODE: z.enum(['internal', 'external'], { error: 'must be internal or external' }).default('internal'),
    HANDOFF_WAIT_SECONDS: int(300, 5, 24 * 3600),
    HANDOFF_PRESENCE_SECONDS: int(45, 5, 3600),
    STAFF_IDLE_MINUTES: int(30, 1, 24 * 60),
    STAFF_LOCKOUT_ATTEMPTS: int(5, 1, 100),
  });

/** True for http(s)://localhost or a 127.x.x.x / [::1] address (any port): the bot is only reachable from this machine. */
function isLocalBaseUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return true; // reported by the schema as a bad URL
  }
}

/**
 * Rules that tie variables together. Checked on the raw environment, so they are reported together
 * with any per-variable problems rather than only after those are fixed.
 */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => Boolean(env[name]?.trim());
  const problems: string[] = [];
  const redisModes = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter(set);
  if (env.NODE_ENV === 'production') {
    for (const name of ['MicrosoftAppId', 'SMTP_URL', 'SERVER_SECRET']) {
      if (!set(name)) problems.push(`${name}: is required in production`);
    }
    if (redisModes.length === 0) problems.push('REDIS_URL: is required in production (or REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES)');
  }
  if (redisModes.length > 1) problems.push(`${redisModes.join(', ')}: set only one of REDIS_URL (one node), REDIS_SENTINELS (Sentinel) and REDIS_CLUSTER_NODES (Cluster)`);
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME')) problems.push('REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the master name the sentinels monitor)');
  if (set('REDIS_SENTINEL_NAME') && !set('REDIS_SENTINELS')) problems.push('REDIS_SENTINEL_NAME: is only used with REDIS_SENTINELS');
  // The public development secret protects nothing: refuse it wherever anyone else can reach the bot.
  if (!set('SERVER_SECRET') && env.NODE_ENV !== 'production') {
    const publicBase = env.PUBLIC_BASE_URL?.trim();
    if (set('MicrosoftAppId')) problems.push('SERVER_SECRET: is required when authentication is enabled (MicrosoftAppId is set)');
    else if (publicBase && !isLocalBaseUrl(publicBase)) problems.push('SERVER_SECRET: is required when PUBLIC_BASE_URL is not localhost or 127.0.0.1');
  }
  if (env.NODE_ENV === 'production' && env.DEV_DIRECTLINE?.trim() === 'true') {
    problems.push('DEV_DIRECTLINE: the development Direct Line is never served in production');
  }
  const brand = env.WEBCHAT_BRAND_COLOR?.trim() || '#0b5cab';
  const brandText = env.WEBCHAT_BRAND_TEXT_COLOR?.trim() || '#ffffff';
  if (/^#[0-9a-f]{6}$/i.test(brand) && /^#[0-9a-f]{6}$/i.test(brandText) && contrastRatio(brand, brandText) < 4.5) {
    problems.push(`WEBCHAT_BRAND_TEXT_COLOR: contrast with WEBCHAT_BRAND_COLOR is ${contrastRatio(brand, brandText).toFixed(2)}:1; WCAG AA needs at least 4.5:1`);
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
  /** REDIS_URL as given (one node); undefined with Sentinel or Cluster, or with the in-process stand-in. */
  redisUrl: string | undefined;
  /** Where Redis is (one node, Sentinel or Cluster). Undefined means "use the in-process stand-in" (never in production). */
  redis: RedisTarget | undefined;
  keyPrefix: string;
  stateTtlSeconds: number;
  turnLockTimeoutMs: number;
  /** Longest a turn may take before the patient is told the service is temporarily unavailable. */
  turnDeadlineMs: number;
  /** Longest one Redis command may wait for an answer before it fails. */
  redisCommandTimeoutMs: number;
  /** Listen address: HOST, else 127.0.0.1 while authentication is disabled, else 0.0.0.0. */
  listenHost: string;
  /** Ports on this machine (besides the host's own) that replies may be posted to while authentication is disabled. */
  devConnectorPorts: number[];
  /** Floor (ms) of every account-revealing recovery use case, so timing does not tell known from unknown accounts. */
  recoveryMinMs: number;
  /** Reverse proxies in front of the host whose X-Forwarded-For entries are trusted (0 = none). */
  trustProxyHops: number;
  publicBaseUrl: string;
  practice: { name: string; phone: string; hours: PracticeHours; timeZone: string };
  /** Web Chat, Direct Line and the Teams app package (docs/channels.md). */
  channels: ChannelsConfig;
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
  /** New practice requests per channel user per day (PRACTICE_REQUESTS_PER_USER_PER_DAY). */
  practiceRequestsPerUserPerDay: number;
  /** Practice notification emails per clock hour; more are held back and summarised (STAFF_NOTIFY_PER_HOUR). */
  staffNotifyPerHour: number;
  /** How long undeliverable mail is retried before staff are alerted (MAIL_RETRY_HOURS). */
  mailRetryHours: number;
  /** Live handoff: longest wait for a claim before a callback is offered; how long a staff heartbeat counts as online. */
  handoff: { waitSeconds: number; presenceSeconds: number; mode: 'internal' | 'external' };
  /** Staff console: idle sign-out; failed sign-ins before a 15-minute lock. */
  staff: { idleMinutes: number; lockoutAttempts: number };
}

/** Used only outside production when SERVER_SECRET is unset; it is public, so it protects nothing. */
export const DEV_SERVER_SECRET = 'development-only-server-secret-not-for-production-use';

export interface ChannelsConfig {
  directLine: {
    /** DIRECT_LINE_SECRET; outside production with the development Direct Line, a value derived from SERVER_SECRET. Never sent to a browser. */
    secret: string | undefined;
    /** Where tokens are generated and where Web Chat connects: DIRECT_LINE_ENDPOINT, else this host (development Direct Line), else Azure's. */
    endpoint: string;
    /** Serve the development Direct Line 3.0 (bot/directline/): DEV_DIRECTLINE, default true outside production. */
    dev: boolean;
  };
  webchat: {
    /** Origins that may fetch Web Chat tokens and frame /chat; default the origin of PUBLIC_BASE_URL. */
    allowedOrigins: string[];
    brandColor: string;
    brandTextColor: string;
  };
  teams: {
    /** The Teams app id (a GUID); default MicrosoftAppId. */
    appId: string | undefined;
    websiteUrl: string;
    privacyUrl: string;
    termsUrl: string;
  };
}

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
    redis: redisTarget(e),
    keyPrefix: e.REDIS_KEY_PREFIX,
    stateTtlSeconds: e.STATE_TTL_SECONDS,
    turnLockTimeoutMs: e.TURN_LOCK_TIMEOUT_MS,
    turnDeadlineMs: e.TURN_DEADLINE_MS,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    listenHost: e.HOST ?? (e.MicrosoftAppId ? '0.0.0.0' : '127.0.0.1'),
    devConnectorPorts: e.DEV_CONNECTOR_PORTS.split(',').map((p) => p.trim()).filter(Boolean).map(Number),
    recoveryMinMs: e.RECOVERY_MIN_MS,
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
    channels: channelsConfig(e),
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
    practiceRequestsPerUserPerDay: e.PRACTICE_REQUESTS_PER_USER_PER_DAY,
    staffNotifyPerHour: e.STAFF_NOTIFY_PER_HOUR,
    mailRetryHours: e.MAIL_RETRY_HOURS,
    handoff: { waitSeconds: e.HANDOFF_WAIT_SECONDS, presenceSeconds: e.HANDOFF_PRESENCE_SECONDS, mode: e.HANDOFF_MODE },
    staff: { idleMinutes: e.STAFF_IDLE_MINUTES, lockoutAttempts: e.STAFF_LOCKOUT_ATTEMPTS },
  };
}

/** The Redis deployment from REDIS_URL, REDIS_SENTINELS + REDIS_SENTINEL_NAME or REDIS_CLUSTER_NODES (checked to be only one). */
function redisTarget(e: Env): RedisTarget | undefined {
  const tls = e.REDIS_TLS === 'true' ? { tls: true } : {};
  const password = e.REDIS_PASSWORD ? { password: e.REDIS_PASSWORD } : {};
  if (e.REDIS_URL) return { mode: 'single', url: e.REDIS_URL };
  if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME) {
    return {
      mode: 'sentinel',
      sentinels: parseNodeList(e.REDIS_SENTINELS) ?? [],
      name: e.REDIS_SENTINEL_NAME,
      ...password,
      ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
      ...tls,
    };
  }
  if (e.REDIS_CLUSTER_NODES) return { mode: 'cluster', nodes: parseNodeList(e.REDIS_CLUSTER_NODES) ?? [], ...password, ...tls };
  return undefined;
}

/** The channel settings, with their defaults resolved (see ChannelsConfig). */
function channelsConfig(e: Env): ChannelsConfig {
  const dev = e.NODE_ENV === 'production' ? false : (e.DEV_DIRECTLINE ?? 'true') === 'true';
  const secret = e.SERVER_SECRET ?? DEV_SERVER_SECRET;
  const base = e.PUBLIC_BASE_URL;
  const origins = (e.WEBCHAT_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  return {
    directLine: {
      secret: e.DIRECT_LINE_SECRET ?? (dev ? hmac(secret, 'development direct line secret') : undefined),
      endpoint: e.DIRECT_LINE_ENDPOINT ?? (dev ? base : 'https://directline.botframework.com'),
      dev,
    },
    webchat: {
      allowedOrigins: origins.length ? origins : [new URL(base).origin],
      brandColor: e.WEBCHAT_BRAND_COLOR.toLowerCase(),
      brandTextColor: e.WEBCHAT_BRAND_TEXT_COLOR.toLowerCase(),
    },
    teams: {
      appId: e.TEAMS_APP_ID ?? e.MicrosoftAppId,
      websiteUrl: e.PRACTICE_WEBSITE_URL ?? base,
      privacyUrl: e.PRIVACY_URL ?? e.PRACTICE_WEBSITE_URL ?? base,
      termsUrl: e.TERMS_URL ?? e.PRACTICE_WEBSITE_URL ?? base,
    },
  };
}

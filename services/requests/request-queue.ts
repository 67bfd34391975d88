/**
 * Requests patients send to the practice through the bot — a new enrollment token ("my token isn't
 * working"), reactivation of an unenrolled account, or a password-reset token — for staff to resolve.
 *
 * Each request gets a short reference the patient can read back on the phone (`R-7K3Q9P`). The details
 * staff need (name, date of birth, contact) are kept in Redis only, never logged; a resolved request is
 * deleted 90 days after resolution.
 *
 * Keys: `pb:requests` sorted set (score = creation time, member = reference) and `pb:request:<ref>` hash.
 */
import { z } from 'zod';
import type { Logger } from '../logger';
import type { Keys, RedisClient } from '../redis';
import { randomCode } from '../crypto';
import { isValidDateOfBirth } from '../directory/schema';
import { TYPABLE_ALPHABET } from '../tokens/token-service';

export const REQUEST_KINDS = ['token-renewal', 'reactivation', 'reset-token'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export type RequestStatus = 'open' | 'resolved';

export interface NewPracticeRequest {
  kind: RequestKind;
  firstName: string;
  lastName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** At least one of the two. */
  contact: { email?: string; phone?: string };
  conversationRef?: string;
}

export interface PracticeRequest extends NewPracticeRequest {
  requestId: string;
  status: RequestStatus;
  createdAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  /** The patient staff matched the request to. */
  patientId?: string;
}

export type ResolveResult =
  | { ok: true; request: PracticeRequest }
  | { ok: false; reason: 'not-found' | 'already-resolved' };

export interface RequestQueue {
  /** @throws RequestValidationError naming the bad fields (never their values). */
  create(input: NewPracticeRequest): Promise<{ requestId: string }>;
  get(requestId: string): Promise<PracticeRequest | null>;
  status(requestId: string): Promise<RequestStatus | null>;
  /** Oldest first. */
  list(opts?: { status?: RequestStatus }): Promise<PracticeRequest[]>;
  /** Atomic: of two staff resolving at once, one gets `ok: true`. */
  resolve(requestId: string, opts: { patientId: string; resolvedBy?: string }): Promise<ResolveResult>;
}

export const REQUEST_ID_LENGTH = 6;
export const RESOLVED_RETENTION_SECONDS = 90 * 24 * 3600;

/**
 * The canonical reference from what a patient typed: "r-7k3q9p", "7K3Q9P" and "R 7K3Q9P" all give
 * "R-7K3Q9P"; null when it cannot be a reference.
 */
export function parseRequestId(text: string): string | null {
  const upper = text.trim().toUpperCase();
  const compact = upper.replace(/[\s-]+/g, '');
  // "R-…" or "R …" always carries the prefix; "R7K3Q9P" does when it is one character too long.
  const prefixed = /^R[\s-]/.test(upper) || (compact.startsWith('R') && compact.length === REQUEST_ID_LENGTH + 1);
  const body = prefixed ? compact.slice(1) : compact;
  if (body.length !== REQUEST_ID_LENGTH || ![...body].every((c) => TYPABLE_ALPHABET.includes(c))) return null;
  return `R-${body}`;
}

/** An email address a practice can write to: the rule the chat's contact step and the queue share. */
export const ContactEmailSchema = z.email().max(254);
/** A phone number as people type it: digits with spaces, dashes, dots, brackets or "+"; at least 7 digits. */
export const ContactPhoneSchema = z
  .string()
  .trim()
  .regex(/^[0-9+()\-. ]{7,40}$/)
  .refine((p) => p.replace(/\D/g, '').length >= 7);

export const isContactEmail = (text: string): boolean => ContactEmailSchema.safeParse(text.trim()).success;
export const isContactPhone = (text: string): boolean => ContactPhoneSchema.safeParse(text).success;

export class RequestValidationError extends Error {
  constructor(public readonly fields: string[]) {
    super(`Invalid request: ${fields.join(', ')}`);
    this.name = 'RequestValidationError';
  }
}

const NewRequestSchema = z.object({
  kind: z.enum(REQUEST_KINDS),
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  dateOfBirth: z.string().refine((d) => isValidDateOfBirth(d)),
  contact: z
    .object({
      email: ContactEmailSchema.optional(),
      phone: ContactPhoneSchema.optional(),
    })
    .refine((c) => !!c.email || !!c.phone, 'email or phone is required'),
  conversationRef: z.string().max(200).optional(),
});

const RESOLVE = `if redis.call('exists', KEYS[1]) == 0 then return 'not-found' end
if redis.call('hget', KEYS[1], 'status') ~= 'open' then return 'already-resolved' end
redis.call('hset', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[1], 'patientId', ARGV[2])
if ARGV[3] ~= '' then redis.call('hset', KEYS[1], 'resolvedBy', ARGV[3]) end
redis.call('expire', KEYS[1], ARGV[4])
return 'ok'`;

export interface RedisRequestQueueOptions {
  redis: RedisClient;
  keys: Keys;
  logger?: Logger;
}

export class RedisRequestQueue implements RequestQueue {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly logger?: Logger;

  constructor({ redis, keys, logger }: RedisRequestQueueOptions) {
    this.redis = redis;
    this.keys = keys;
    this.logger = logger;
  }

  private indexKey(): string {
    return this.keys.plain('requests');
  }
  private requestKey(requestId: string): string {
    return this.keys.plain('request', requestId);
  }

  async create(input: NewPracticeRequest): Promise<{ requestId: string }> {
    const parsed = NewRequestSchema.safeParse(input);
    if (!parsed.success) throw new RequestValidationError([...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(request)'))]);
    const r = parsed.data;
    const createdAt = new Date();
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const requestId = `R-${randomCode(REQUEST_ID_LENGTH, TYPABLE_ALPHABET)}`;
      const key = this.requestKey(requestId);
      // Claim the reference first, so two requests can never share one.
      if ((await this.redis.hsetnx(key, 'requestId', requestId)) !== 1) continue;
      const fields: Record<string, string> = {
        kind: r.kind,
        status: 'open',
        firstName: r.firstName,
        lastName: r.lastName,
        dateOfBirth: r.dateOfBirth,
        createdAt: createdAt.toISOString(),
      };
      if (r.contact.email) fields.email = r.contact.email;
      if (r.contact.phone) fields.phone = r.contact.phone;
      if (r.conversationRef) fields.conversationRef = r.conversationRef;
      await this.redis.multi().hset(key, fields).zadd(this.indexKey(), createdAt.getTime(), requestId).exec();
      this.logger?.info({ requestId, kind: r.kind }, 'practice request created');
      return { requestId };
    }
    throw new Error('could not allocate a unique request reference');
  }

  async get(requestId: string): Promise<PracticeRequest | null> {
    const id = parseRequestId(requestId);
    if (!id) return null;
    return toRequest(await this.redis.hgetall(this.requestKey(id)));
  }

  async status(requestId: string): Promise<RequestStatus | null> {
    const id = parseRequestId(requestId);
    if (!id) return null;
    const s = await this.redis.hget(this.requestKey(id), 'status');
    return s === 'open' || s === 'resolved' ? s : null;
  }

  async list(opts: { status?: RequestStatus } = {}): Promise<PracticeRequest[]> {
    const ids = await this.redis.zrange(this.indexKey(), 0, -1);
    if (!ids.length) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.requestKey(id));
    const results = (await pipeline.exec()) ?? [];
    const out: PracticeRequest[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const request = toRequest((results[i]?.[1] as Record<string, string> | undefined) ?? {});
      if (!request) gone.push(id);
      else if (!opts.status || request.status === opts.status) out.push(request);
    });
    // Resolved requests expire on their own; forget their references too.
    if (gone.length) await this.redis.zrem(this.indexKey(), ...gone);
    return out;
  }

  async resolve(requestId: string, opts: { patientId: string; resolvedBy?: string }): Promise<ResolveResult> {
    const id = parseRequestId(requestId);
    if (!id) return { ok: false, reason: 'not-found' };
    if (!opts.patientId) throw new TypeError('patientId is required');
    const outcome = String(
      await this.redis.eval(
        RESOLVE,
        1,
        this.requestKey(id),
        new Date().toISOString(),
        opts.patientId,
        opts.resolvedBy ?? '',
        String(RESOLVED_RETENTION_SECONDS),
      ),
    );
    if (outcome === 'not-found' || outcome === 'already-resolved') return { ok: false, reason: outcome };
    const request = await this.get(id);
    if (!request) return { ok: false, reason: 'not-found' };
    this.logger?.info({ requestId: id, patientId: opts.patientId }, 'practice request resolved');
    return { ok: true, request };
  }
}

function toRequest(h: Record<string, string>): PracticeRequest | null {
  if (!h.requestId || !h.kind || !h.status) return null;
  const request: PracticeRequest = {
    requestId: h.requestId,
    kind: h.kind as RequestKind,
    status: h.status === 'resolved' ? 'resolved' : 'open',
    firstName: h.firstName ?? '',
    lastName: h.lastName ?? '',
    dateOfBirth: h.dateOfBirth ?? '',
    contact: {},
    createdAt: h.createdAt ?? '',
  };
  if (h.email) request.contact.email = h.email;
  if (h.phone) request.contact.phone = h.phone;
  if (h.conversationRef) request.conversationRef = h.conversationRef;
  if (h.resolvedAt) request.resolvedAt = h.resolvedAt;
  if (h.resolvedBy) request.resolvedBy = h.resolvedBy;
  if (h.patientId) request.patientId = h.patientId;
  return request;
}

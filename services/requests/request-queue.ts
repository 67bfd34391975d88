/**
 * Requests patients send to the practice through the bot — a new enrollment token ("my token isn't
 * working"), reactivation of an unenrolled account, a password-reset token, or enrollment in the portal
 * for a patient the practice gave no token ("I want to sign up but I don't have a code") — for staff to resolve.
 *
 * Each request gets a short reference the patient can read back on the phone (`R-7K3Q9P`). The details
 * staff need (name, date of birth, contact) are never logged, and are kept in Redis only sealed (AES-GCM
 * keyed from SERVER_SECRET, `services/state/sealer.ts`): the hash holds ids, kind, status and times in
 * clear and one `sealed` blob; `get`/`list` open it. A resolved request is deleted 90 days after resolution.
 *
 * Abuse by volume: the same person (first and last name folded loosely, date of birth) asking for the same
 * kind again while the first request is open, within 24 hours, gets the existing reference back
 * (`duplicate: true`) rather than a new request; and `claimStaffNotice` caps the practice's notification
 * emails per clock hour (STAFF_NOTIFY_PER_HOUR), counting the ones it held back for one summary, which
 * `claimHeldSummary` hands out once a later hour has room for it (services/recovery/practiceRequest.ts sends it).
 *
 * Keys: `pb:requests` sorted set (score = creation time, member = reference), `pb:request:<ref>` hash,
 * `pb:{preq:<hmac of kind, names, date of birth>}` → reference (24 h), `pb:{notify:staff}:w:<hour>` and
 * `pb:{notify:staff}:held` counters.
 */
import { z } from 'zod';
import type { Logger } from '../logger';
import type { Keys, RedisClient } from '../redis';
import { hmac, randomCode } from '../crypto';
import { isValidDateOfBirth } from '../directory/schema';
import { createSealer, type Sealer } from '../state/sealer';
import { foldLoose } from '../text/fold';
import { TYPABLE_ALPHABET } from '../tokens/token-service';

export const REQUEST_KINDS = ['token-renewal', 'reactivation', 'reset-token', 'enrollment'] as const;
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
  /** True when the sealed details could not be opened (another SERVER_SECRET): names, DOB and contact are empty. */
  detailsUnreadable?: boolean;
}

export type ResolveResult =
  | { ok: true; request: PracticeRequest }
  | { ok: false; reason: 'not-found' | 'already-resolved' };

/** Whether the practice should be emailed about a new request now (otherwise it is held for the summary). */
export interface StaffNotice {
  /** True while this clock hour's cap (STAFF_NOTIFY_PER_HOUR) is not used up. */
  notify: boolean;
}

/** Notices held back over the cap, taken for one summary email (`claimHeldSummary`). */
export interface HeldSummary {
  /** How many (0: none held, or this hour has no room for the summary). */
  count: number;
  /** The clock hour it was taken in (hours since the epoch): the summary's idempotency key. */
  hour: string;
}

export interface RequestQueue {
  /**
   * Files a request — unless the same person (names folded loosely, date of birth) has an open request of
   * the same kind from the last 24 hours: then that reference comes back with `duplicate: true`.
   * @throws RequestValidationError naming the bad fields (never their values).
   */
  create(input: NewPracticeRequest): Promise<{ requestId: string; duplicate?: boolean }>;
  get(requestId: string): Promise<PracticeRequest | null>;
  status(requestId: string): Promise<RequestStatus | null>;
  /** Oldest first. */
  list(opts?: { status?: RequestStatus }): Promise<PracticeRequest[]>;
  /** Atomic: of two staff resolving at once, one gets `ok: true`. */
  resolve(requestId: string, opts: { patientId: string; resolvedBy?: string }): Promise<ResolveResult>;
  /** Counts one notification email against this hour's cap; over it, the notice is held for the summary. */
  claimStaffNotice(): Promise<StaffNotice>;
  /**
   * Takes the held-back count for one summary email, when this hour's cap has room for it (the summary counts as
   * one email against the cap). Atomic: of many instances asking, one gets it.
   */
  claimHeldSummary(): Promise<HeldSummary>;
  /** Gives a taken count back (its summary could not be queued), for the next claim. */
  releaseHeldSummary(count: number): Promise<void>;
}

export const REQUEST_ID_LENGTH = 6;
/** How long the same person's same request is answered with the existing reference. */
export const DUPLICATE_WINDOW_SECONDS = 24 * 3600;
/** Default cap of practice notification emails per clock hour (STAFF_NOTIFY_PER_HOUR). */
export const DEFAULT_STAFF_NOTIFY_PER_HOUR = 20;
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

/** KEYS: this hour's counter, the held-back counter. ARGV: cap. Returns 1 (within the cap) or 0 (counted as held). */
const CLAIM_NOTICE = `local n = redis.call('incr', KEYS[1])
if n == 1 then redis.call('expire', KEYS[1], 7200) end
if n <= tonumber(ARGV[1]) then return 1 end
redis.call('incr', KEYS[2])
redis.call('expire', KEYS[2], 604800)
return 0`;

/** KEYS: this hour's counter, the held-back counter. ARGV: cap. Returns the held count taken (0: none, or no room). */
const CLAIM_HELD = `local held = tonumber(redis.call('get', KEYS[2]) or '0')
if held == 0 then return 0 end
if tonumber(redis.call('get', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
if redis.call('incr', KEYS[1]) == 1 then redis.call('expire', KEYS[1], 7200) end
redis.call('del', KEYS[2])
return held`;

export interface RedisRequestQueueOptions {
  redis: RedisClient;
  keys: Keys;
  /** SERVER_SECRET: seals the details and keys the duplicate check. */
  serverSecret: string;
  /** Practice notification emails per clock hour (STAFF_NOTIFY_PER_HOUR); default 20. */
  staffNotifyPerHour?: number;
  logger?: Logger;
  /** Injected for tests; milliseconds since the epoch (the notification hour). */
  now?: () => number;
}

/** The details that are sealed at rest. */
interface SealedDetails {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email?: string;
  phone?: string;
}

export class RedisRequestQueue implements RequestQueue {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly logger?: Logger;
  private readonly secret: string;
  private readonly sealer: Sealer;
  private readonly staffNotifyPerHour: number;
  private readonly now: () => number;

  constructor({ redis, keys, serverSecret, staffNotifyPerHour = DEFAULT_STAFF_NOTIFY_PER_HOUR, logger, now = Date.now }: RedisRequestQueueOptions) {
    if (!serverSecret) throw new TypeError('RedisRequestQueue: serverSecret is required');
    this.redis = redis;
    this.keys = keys;
    this.logger = logger;
    this.secret = serverSecret;
    this.sealer = createSealer(`practice-requests:${serverSecret}`);
    this.staffNotifyPerHour = staffNotifyPerHour;
    this.now = now;
  }

  private identityKey(r: { kind: string; firstName: string; lastName: string; dateOfBirth: string }): string {
    const id = hmac(this.secret, `request-identity:${r.kind}:${foldLoose(r.firstName)}:${foldLoose(r.lastName)}:${r.dateOfBirth.trim()}`);
    return this.keys.tagged('preq', id.slice(0, 32));
  }

  private toRequest(h: Record<string, string>): PracticeRequest | null {
    return toRequest(h, (sealed) => {
      const opened = this.sealer.open(sealed);
      if (opened === null) return null;
      try {
        return JSON.parse(opened) as SealedDetails;
      } catch {
        return null;
      }
    });
  }

  /** The open request an identity key points at, if any. */
  private async openDuplicate(identityKey: string): Promise<string | null> {
    const existing = await this.redis.get(identityKey);
    if (!existing) return null;
    return (await this.redis.hget(this.requestKey(existing), 'status')) === 'open' ? existing : null;
  }

  // The index and every request share one hash tag: `create` writes both in one MULTI and `list` reads
  // them in one pipeline, which a Redis Cluster allows only on one slot.
  private indexKey(): string {
    return this.keys.tagged('req', 'queue');
  }
  private requestKey(requestId: string): string {
    return this.keys.tagged('req', 'queue', requestId);
  }

  async create(input: NewPracticeRequest): Promise<{ requestId: string; duplicate?: boolean }> {
    const parsed = NewRequestSchema.safeParse(input);
    if (!parsed.success) throw new RequestValidationError([...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(request)'))]);
    const r = parsed.data;
    const identityKey = this.identityKey(r);
    const earlier = await this.openDuplicate(identityKey);
    if (earlier) {
      this.logger?.info({ requestId: earlier, kind: r.kind }, 'practice request repeated: the open one is kept');
      return { requestId: earlier, duplicate: true };
    }
    const createdAt = new Date();
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const requestId = `R-${randomCode(REQUEST_ID_LENGTH, TYPABLE_ALPHABET)}`;
      const key = this.requestKey(requestId);
      // Claim the reference first, so two requests can never share one.
      if ((await this.redis.hsetnx(key, 'requestId', requestId)) !== 1) continue;
      // Then the identity: of two identical requests at once, one files and the other gets its reference.
      if ((await this.redis.set(identityKey, requestId, 'EX', DUPLICATE_WINDOW_SECONDS, 'NX')) !== 'OK') {
        const other = await this.openDuplicate(identityKey);
        if (other) {
          await this.redis.del(key);
          return { requestId: other, duplicate: true };
        }
        await this.redis.set(identityKey, requestId, 'EX', DUPLICATE_WINDOW_SECONDS);
      }
      const details: SealedDetails = { firstName: r.firstName, lastName: r.lastName, dateOfBirth: r.dateOfBirth };
      if (r.contact.email) details.email = r.contact.email;
      if (r.contact.phone) details.phone = r.contact.phone;
      const fields: Record<string, string> = {
        kind: r.kind,
        status: 'open',
        sealed: this.sealer.seal(JSON.stringify(details)),
        createdAt: createdAt.toISOString(),
      };
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
    return this.toRequest(await this.redis.hgetall(this.requestKey(id)));
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
      const request = this.toRequest((results[i]?.[1] as Record<string, string> | undefined) ?? {});
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

  /** This clock hour's notice counter and the held-back counter (one hash tag: used together in one script). */
  private noticeKeys(): { hour: string; keys: [string, string] } {
    const hour = String(Math.floor(this.now() / 3_600_000));
    return { hour, keys: [this.keys.tagged('notify', 'staff', 'w', hour), this.keys.tagged('notify', 'staff', 'held')] };
  }

  async claimStaffNotice(): Promise<StaffNotice> {
    const notify = await this.redis.eval(CLAIM_NOTICE, 2, ...this.noticeKeys().keys, String(this.staffNotifyPerHour));
    return { notify: Number(notify) === 1 };
  }

  async claimHeldSummary(): Promise<HeldSummary> {
    const { hour, keys } = this.noticeKeys();
    const held = await this.redis.eval(CLAIM_HELD, 2, ...keys, String(this.staffNotifyPerHour));
    return { count: Number(held), hour };
  }

  async releaseHeldSummary(count: number): Promise<void> {
    if (count <= 0) return;
    const [, held] = this.noticeKeys().keys;
    await this.redis.multi().incrby(held, count).expire(held, 604800).exec();
  }
}

/**
 * A stored request, its details opened with `open` (null when they were sealed with another secret or
 * altered: the request is listed with empty details and `detailsUnreadable`). Hashes written before
 * sealing (fields in clear) are still read.
 */
function toRequest(h: Record<string, string>, open: (sealed: string) => SealedDetails | null): PracticeRequest | null {
  if (!h.requestId || !h.kind || !h.status) return null;
  const details: Partial<SealedDetails> | null = h.sealed ? open(h.sealed) : { firstName: h.firstName, lastName: h.lastName, dateOfBirth: h.dateOfBirth, email: h.email, phone: h.phone };
  const request: PracticeRequest = {
    requestId: h.requestId,
    kind: h.kind as RequestKind,
    status: h.status === 'resolved' ? 'resolved' : 'open',
    firstName: details?.firstName ?? '',
    lastName: details?.lastName ?? '',
    dateOfBirth: details?.dateOfBirth ?? '',
    contact: {},
    createdAt: h.createdAt ?? '',
  };
  if (!details) request.detailsUnreadable = true;
  if (details?.email) request.contact.email = details.email;
  if (details?.phone) request.contact.phone = details.phone;
  if (h.conversationRef) request.conversationRef = h.conversationRef;
  if (h.resolvedAt) request.resolvedAt = h.resolvedAt;
  if (h.resolvedBy) request.resolvedBy = h.resolvedBy;
  if (h.patientId) request.patientId = h.patientId;
  return request;
}

/**
 * The live-handoff queue: patients waiting for a person, the staff member who has each conversation, the
 * redacted transcript, and staff presence — all in Redis, so every bot instance sees the same queue.
 *
 * Keys (every one under the `{handoff}` Cluster hash tag, so the Lua scripts may touch several):
 * - `pb:{handoff}:queue` sorted set, score = time joined (ms), member = handoff id — waiting ones only;
 * - `pb:{handoff}:claimed` sorted set, score = time claimed, member = id — conversations staff have now;
 * - `pb:{handoff}:log` sorted set, score = time joined, member = id — the last 8 days (supervisor view);
 * - `pb:{handoff}:h:<id>` hash: status, channel, reason, context (JSON, no PHI), the sealed conversation
 *   reference, times, the staff member who claimed it;
 * - `pb:{handoff}:t:<id>` list of transcript entries (JSON; patient text redacted before it is stored);
 * - `pb:{handoff}:conv:<digest of channel/conversation>` → the conversation's current handoff id;
 * - `pb:{handoff}:presence` sorted set staff id → last seen (ms); `pb:{handoff}:waits` recent claim waits;
 * - `pb:{handoff}:callbacks` sorted set + `pb:{handoff}:cb:<ref>` hash: callback requests (sealed contact).
 * Everything but presence and the queue index expires (HANDOFF_TTL_SECONDS after the last change).
 * Changes are published on `pb:{handoff}:events` so every instance's staff console sees them live.
 */
import type { Keys, RedisClient } from '../redis';
import { randomCode, sha256 } from '../crypto';
import { createSealer, type Sealer } from '../state/sealer';
import { TYPABLE_ALPHABET } from '../tokens/token-service';
import { redactTranscriptText } from './redact';

/** HANDOFF_MODE=external: initiated (waiting for the hub), accepted by an agent, or failed (callback offered). */
export type ExternalHandoffState = 'pending' | 'accepted' | 'failed';

export type HandoffStatus = 'waiting' | 'claimed' | 'returned' | 'cancelled' | 'timed-out' | 'ended';

/**
 * A conversation's handoff keys as a turn already read them (with its lock: services/state/turnState.ts): null =
 * no such key; undefined = not read, read it now.
 */
export interface ConversationKeysRead {
  handoffId?: string | null;
  external?: string | null;
}

/** What the bot knew when the patient asked for a person — ids and names only, never PHI. */
export interface HandoffContext {
  /** KB intents / entry ids seen recently. */
  intents?: string[];
  /** Flow names in progress or done. */
  flows?: string[];
  /** Practice request references (R-…) filed in this conversation. */
  requestRefs?: string[];
}

export interface NewHandoff {
  /** `channelId/conversationId`: one handoff at a time per conversation. */
  conversationKey: string;
  channel: string;
  reason: string;
  context: HandoffContext;
  /** The patient's conversation reference (JSON-able); stored sealed, used for proactive messages. */
  reference: unknown;
}

export interface Handoff {
  id: string;
  status: HandoffStatus;
  channel: string;
  reason: string;
  context: HandoffContext;
  enqueuedAt: number;
  claimedAt?: number;
  staffId?: string;
  staffName?: string;
  /** Set while waiting: 1 = next. */
  position?: number;
  /** When it left the queue or the staff member (returned, ended, cancelled, timed out). */
  closedAt?: number;
}

export interface TranscriptEntry {
  at: string;
  from: 'patient' | 'staff' | 'bot' | 'note';
  text: string;
  staffName?: string;
  /** An emergency the bot answered (the console alerts the staff member). */
  alert?: boolean;
}

export type ClaimResult =
  | { ok: true; handoff: Handoff; reference: unknown }
  | { ok: false; reason: 'taken'; staffId: string; staffName: string }
  | { ok: false; reason: 'not-found' | 'closed' };

export type HandoffEvent =
  | { type: 'queued'; handoff: Handoff }
  | { type: 'claimed'; id: string; staffId: string; staffName: string }
  | { type: 'transferred'; id: string; fromStaffId: string; staffId: string; staffName: string }
  | { type: 'closed'; id: string; status: HandoffStatus }
  | { type: 'message'; id: string; entry: TranscriptEntry };

export interface StaffMember {
  id: string;
  /** First name or role, as the patient is told. */
  name: string;
}

export interface CallbackRequest {
  ref: string;
  status: 'open' | 'resolved';
  channel: string;
  reason: string;
  context: HandoffContext;
  createdAt: string;
  /** Unsealed only for staff (`listCallbacks`). */
  contact?: string;
  resolvedBy?: string;
  resolvedAt?: string;
}

export interface HandoffOptions {
  redis: RedisClient;
  keys: Keys;
  serverSecret: string;
  /** Seconds a staff member counts as online after their last heartbeat (HANDOFF_PRESENCE_SECONDS). */
  presenceSeconds?: number;
  /** Seconds records are kept after their last change. */
  ttlSeconds?: number;
  /** Minutes per patient ahead assumed before any claim has been measured. */
  defaultMinutesPerPatient?: number;
  now?: () => number;
}

const CLAIM = `local h = KEYS[1]
if redis.call('exists', h) == 0 then return {'not-found'} end
local status = redis.call('hget', h, 'status')
if status == 'claimed' then return {'taken', redis.call('hget', h, 'staffId'), redis.call('hget', h, 'staffName')} end
if status ~= 'waiting' then return {'closed'} end
redis.call('hset', h, 'status', 'claimed', 'staffId', ARGV[2], 'staffName', ARGV[3], 'claimedAt', ARGV[1])
redis.call('zrem', KEYS[2], ARGV[4])
redis.call('zadd', KEYS[4], ARGV[1], ARGV[4])
local waited = tonumber(ARGV[1]) - tonumber(redis.call('hget', h, 'enqueuedAt'))
redis.call('lpush', KEYS[3], waited)
redis.call('ltrim', KEYS[3], 0, 19)
return {'ok'}`;

/** Moves a handoff from one of the statuses in ARGV[2..] to ARGV[1]; leaves the queue. Returns the old status or ''. */
const TRANSITION = `local h = KEYS[1]
local status = redis.call('hget', h, 'status')
if not status then return '' end
for i = 3, #ARGV do
  if status == ARGV[i] then
    redis.call('hset', h, 'status', ARGV[1], 'closedAt', ARGV[2])
    redis.call('zrem', KEYS[2], redis.call('hget', h, 'id'))
    redis.call('zrem', KEYS[3], redis.call('hget', h, 'id'))
    return status
  end
end
return ''`;

/** Hands a claimed conversation from ARGV[1] (who must have it) to ARGV[2]/ARGV[3]. */
const TRANSFER = `local h = KEYS[1]
if redis.call('exists', h) == 0 then return 'not-found' end
if redis.call('hget', h, 'status') ~= 'claimed' or redis.call('hget', h, 'staffId') ~= ARGV[1] then return 'not-yours' end
redis.call('hset', h, 'staffId', ARGV[2], 'staffName', ARGV[3])
return 'ok'`;

export const HANDOFF_TTL_SECONDS = 24 * 3600;
/** How long the supervisor view's index keeps a handoff (the records themselves expire after HANDOFF_TTL_SECONDS). */
const LOG_DAYS = 8;

export class HandoffQueue {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly sealer: Sealer;
  private readonly presenceMs: number;
  private readonly ttl: number;
  private readonly defaultMinutes: number;
  private readonly now: () => number;

  constructor(o: HandoffOptions) {
    this.redis = o.redis;
    this.keys = o.keys;
    this.sealer = createSealer(`handoff:${o.serverSecret}`);
    this.presenceMs = (o.presenceSeconds ?? 45) * 1000;
    this.ttl = o.ttlSeconds ?? HANDOFF_TTL_SECONDS;
    this.defaultMinutes = o.defaultMinutesPerPatient ?? 4;
    this.now = o.now ?? Date.now;
  }

  private k(...rest: string[]): string {
    return this.keys.tagged('handoff', 'q', ...rest);
  }
  private queueKey = () => this.k('queue');
  private hashKey = (id: string) => this.k('h', id);
  private transcriptKey = (id: string) => this.k('t', id);
  /** A conversation's keys are named by a digest of its key, never the raw channel id. */
  private digestOf = (conversationKey: string) => sha256(conversationKey).slice(0, 32);
  private convKey = (conversationKey: string) => this.k('conv', this.digestOf(conversationKey));
  /** The pub/sub channel every instance's staff console listens on. */
  get eventsChannel(): string {
    return this.k('events');
  }

  private async publish(event: HandoffEvent): Promise<void> {
    await this.redis.publish(this.eventsChannel, JSON.stringify(event));
  }

  /** Joins the queue (or returns the conversation's handoff already waiting or claimed). */
  async enqueue(input: NewHandoff): Promise<{ handoff: Handoff; created: boolean }> {
    const existing = await this.forConversation(input.conversationKey);
    if (existing && (existing.status === 'waiting' || existing.status === 'claimed')) return { handoff: existing, created: false };
    const id = `H-${randomCode(8, TYPABLE_ALPHABET)}`;
    const at = this.now();
    const fields = {
      id,
      status: 'waiting',
      channel: input.channel.slice(0, 40),
      reason: input.reason.slice(0, 200),
      context: JSON.stringify(cleanContext(input.context)),
      reference: this.sealer.seal(JSON.stringify(input.reference)),
      conversationKey: this.sealer.seal(input.conversationKey),
      enqueuedAt: String(at),
    };
    await this.redis
      .multi()
      .hset(this.hashKey(id), fields)
      .expire(this.hashKey(id), this.ttl)
      .zadd(this.queueKey(), at, id)
      .set(this.convKey(input.conversationKey), id, 'EX', this.ttl)
      .zadd(this.k('log'), at, id)
      .zremrangebyscore(this.k('log'), '-inf', at - LOG_DAYS * 86_400_000)
      .exec();
    const handoff = (await this.get(id))!;
    await this.publish({ type: 'queued', handoff });
    return { handoff, created: true };
  }

  async get(id: string): Promise<Handoff | null> {
    if (!/^H-[A-Z0-9]{8}$/.test(id)) return null;
    const [h, rank] = await Promise.all([this.redis.hgetall(this.hashKey(id)), this.redis.zrank(this.queueKey(), id)]);
    if (!h.status) return null;
    return toHandoff(h, rank);
  }

  /**
   * The conversation's current handoff (any status until it is forgotten), or null. `read`: what the turn already
   * read of the conversation's keys (`conversationKeys`, with its lock), so the handoff id is not read again.
   */
  async forConversation(conversationKey: string, read?: ConversationKeysRead): Promise<Handoff | null> {
    const id = read?.handoffId !== undefined ? read.handoffId : await this.redis.get(this.convKey(conversationKey));
    return id ? this.get(id) : null;
  }

  /** The conversation's own keys that nearly every patient turn reads: its handoff id, then its external-hub state. */
  conversationKeys(conversationKey: string): [handoffId: string, external: string] {
    const digest = this.digestOf(conversationKey); // once: both keys are read on every turn
    return [this.k('conv', digest), this.k('ext', digest)];
  }

  /** Stops routing the conversation's messages to its handoff (after return, cancel, time-out). */
  async forget(conversationKey: string): Promise<void> {
    await this.redis.del(...this.conversationKeys(conversationKey));
  }

  private externalKey = (conversationKey: string) => this.k('ext', this.digestOf(conversationKey));

  /** HANDOFF_MODE=external: where the conversation is with the agent hub (`pending` until `handoff.status`). */
  async externalState(conversationKey: string, read?: ConversationKeysRead): Promise<ExternalHandoffState | null> {
    const value = read?.external !== undefined ? read.external : await this.redis.get(this.externalKey(conversationKey));
    return (value as ExternalHandoffState | null) ?? null;
  }

  async setExternalState(conversationKey: string, state: ExternalHandoffState | null): Promise<void> {
    if (state) await this.redis.set(this.externalKey(conversationKey), state, 'EX', this.ttl);
    else await this.redis.del(this.externalKey(conversationKey));
  }

  /**
   * Records the queue position the patient was last told and returns the one before (null: none yet).
   * Atomic (SET … GET), so when several instances notice the same move only one sees the old value.
   */
  async markToldPosition(id: string, position: number): Promise<number | null> {
    const prev = await this.redis.set(this.k('told', id), String(position), 'EX', this.ttl, 'GET');
    return prev === null ? null : Number(prev);
  }

  /** Waiting handoffs, oldest first, with positions. */
  async waiting(): Promise<Handoff[]> {
    return this.load(await this.redis.zrange(this.queueKey(), 0, -1), this.queueKey());
  }

  /** Conversations staff have now (every staff member's), longest-held first. */
  async active(): Promise<Handoff[]> {
    return this.load(await this.redis.zrange(this.k('claimed'), 0, -1), this.k('claimed'));
  }

  /** Every handoff that joined since `sinceMs` (any status), oldest first: the supervisor view. */
  async since(sinceMs: number): Promise<Handoff[]> {
    return this.load(await this.redis.zrangebyscore(this.k('log'), sinceMs, '+inf'), this.k('log'));
  }

  /** The handoffs behind `ids`, dropping from `index` those that expired. */
  private async load(ids: string[], index: string): Promise<Handoff[]> {
    const out: Handoff[] = [];
    for (const id of ids) {
      const h = await this.get(id);
      if (h) out.push(h);
      else await this.redis.zrem(index, id); // expired
    }
    return out;
  }

  /**
   * An honest estimate: the average of the last claims' waits (or a default per patient before any),
   * times the patients ahead and this one, shared among the staff online. Minutes, at least 1.
   */
  async estimateMinutes(position: number): Promise<number> {
    const [waits, online] = await Promise.all([this.redis.lrange(this.k('waits'), 0, 19), this.onlineStaffCount()]);
    const perPatientMs = waits.length ? waits.map(Number).reduce((a, b) => a + b, 0) / waits.length : this.defaultMinutes * 60_000;
    return Math.max(1, Math.ceil((perPatientMs * position) / Math.max(1, online) / 60_000));
  }

  /** Atomic: of any number of staff claiming at once, exactly one gets `ok: true`; the others learn who. */
  async claim(id: string, staff: StaffMember): Promise<ClaimResult> {
    if (!/^H-[A-Z0-9]{8}$/.test(id)) return { ok: false, reason: 'not-found' };
    const out = (await this.redis.eval(CLAIM, 4, this.hashKey(id), this.queueKey(), this.k('waits'), this.k('claimed'), String(this.now()), staff.id, staff.name, id)) as string[];
    if (out[0] === 'taken') return { ok: false, reason: 'taken', staffId: out[1] ?? '', staffName: out[2] ?? '' };
    if (out[0] !== 'ok') return { ok: false, reason: out[0] === 'closed' ? 'closed' : 'not-found' };
    await this.redis.expire(this.hashKey(id), this.ttl);
    const handoff = (await this.get(id))!;
    await this.note(id, { from: 'note', text: `${staff.name} joined the conversation.` });
    await this.publish({ type: 'claimed', id, staffId: staff.id, staffName: staff.name });
    return { ok: true, handoff, reference: await this.reference(id) };
  }

  /** Atomic: hands the conversation from `fromStaffId` (who must have it) to `to`. */
  async transfer(id: string, fromStaffId: string, to: StaffMember): Promise<'ok' | 'not-yours' | 'not-found'> {
    if (!/^H-[A-Z0-9]{8}$/.test(id)) return 'not-found';
    const out = String(await this.redis.eval(TRANSFER, 1, this.hashKey(id), fromStaffId, to.id, to.name));
    if (out !== 'ok') return out === 'not-yours' ? 'not-yours' : 'not-found';
    await this.redis.expire(this.hashKey(id), this.ttl);
    await this.publish({ type: 'transferred', id, fromStaffId, staffId: to.id, staffName: to.name });
    return 'ok';
  }

  /** The patient's conversation reference, for proactive messages. */
  async reference(id: string): Promise<unknown> {
    const sealed = await this.redis.hget(this.hashKey(id), 'reference');
    const opened = sealed ? this.sealer.open(sealed) : null;
    return opened ? JSON.parse(opened) : null;
  }

  /**
   * Closes a handoff if it is in one of `from` (atomic); the conversation goes back to the bot. Returns
   * the status it had, or null when it was not in one of them.
   */
  async close(id: string, to: Exclude<HandoffStatus, 'waiting' | 'claimed'>, from: HandoffStatus[]): Promise<HandoffStatus | null> {
    const was = String(await this.redis.eval(TRANSITION, 3, this.hashKey(id), this.queueKey(), this.k('claimed'), to, String(this.now()), ...from));
    if (!was) return null;
    const sealedConv = await this.redis.hget(this.hashKey(id), 'conversationKey');
    const conv = sealedConv ? this.sealer.open(sealedConv) : null;
    // A timed-out handoff stays linked so the patient's next message is read as the answer to the callback offer.
    if (conv && to !== 'timed-out') {
      if ((await this.redis.get(this.convKey(conv))) === id) await this.forget(conv);
    }
    await this.publish({ type: 'closed', id, status: to });
    return was as HandoffStatus;
  }

  /** Waiting handoffs that joined more than `waitSeconds` ago. */
  async overdue(waitSeconds: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.queueKey(), '-inf', this.now() - waitSeconds * 1000);
  }

  /** Appends to the transcript (patient text is redacted here, before it is stored) and tells the consoles. */
  async note(id: string, entry: Omit<TranscriptEntry, 'at'>): Promise<TranscriptEntry> {
    const stored: TranscriptEntry = { ...entry, at: new Date(this.now()).toISOString() };
    if (entry.from === 'patient') stored.text = redactTranscriptText(entry.text);
    stored.text = stored.text.slice(0, 2000);
    await this.redis.multi().rpush(this.transcriptKey(id), JSON.stringify(stored)).ltrim(this.transcriptKey(id), -500, -1).expire(this.transcriptKey(id), this.ttl).exec();
    await this.publish({ type: 'message', id, entry: stored });
    return stored;
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return (await this.redis.lrange(this.transcriptKey(id), 0, -1)).map((line) => JSON.parse(line) as TranscriptEntry);
  }

  /** Marks a staff member online (console heartbeat / open SSE stream). */
  async heartbeat(staffId: string): Promise<void> {
    await this.redis.zadd(this.k('presence'), this.now(), staffId);
  }

  async signOff(staffId: string): Promise<void> {
    await this.redis.zrem(this.k('presence'), staffId);
  }

  /** Staff ids seen within the presence window. */
  async onlineStaff(): Promise<string[]> {
    return this.redis.zrangebyscore(this.k('presence'), this.now() - this.presenceMs, '+inf');
  }

  async onlineStaffCount(): Promise<number> {
    const since = this.now() - this.presenceMs;
    await this.redis.zremrangebyscore(this.k('presence'), '-inf', `(${since}`);
    return this.redis.zcount(this.k('presence'), since, '+inf');
  }

  /** Files a callback request; the contact is sealed. Returns its reference (`C-XXXXXX`). */
  async fileCallback(input: { channel: string; reason: string; context: HandoffContext; contact: string }): Promise<string> {
    const ref = `C-${randomCode(6, TYPABLE_ALPHABET)}`;
    const createdAt = new Date(this.now()).toISOString();
    await this.redis
      .multi()
      .hset(this.k('cb', ref), {
        ref,
        status: 'open',
        channel: input.channel.slice(0, 40),
        reason: input.reason.slice(0, 200),
        context: JSON.stringify(cleanContext(input.context)),
        contact: this.sealer.seal(input.contact),
        createdAt,
      })
      .zadd(this.k('callbacks'), this.now(), ref)
      .exec();
    return ref;
  }

  async listCallbacks(opts: { status?: 'open' | 'resolved' } = {}): Promise<CallbackRequest[]> {
    const refs = await this.redis.zrange(this.k('callbacks'), 0, -1);
    const out: CallbackRequest[] = [];
    for (const ref of refs) {
      const h = await this.redis.hgetall(this.k('cb', ref));
      if (!h.ref) {
        await this.redis.zrem(this.k('callbacks'), ref);
        continue;
      }
      const c: CallbackRequest = {
        ref,
        status: h.status === 'resolved' ? 'resolved' : 'open',
        channel: h.channel ?? '',
        reason: h.reason ?? '',
        context: safeJson(h.context),
        createdAt: h.createdAt ?? '',
        contact: (h.contact && this.sealer.open(h.contact)) || undefined,
        ...(h.resolvedBy ? { resolvedBy: h.resolvedBy, resolvedAt: h.resolvedAt } : {}),
      };
      if (!opts.status || c.status === opts.status) out.push(c);
    }
    return out;
  }

  /** Atomic enough: HSETNX on resolvedBy decides who resolved it. False when unknown or already resolved. */
  async resolveCallback(ref: string, staffId: string): Promise<boolean> {
    const key = this.k('cb', ref);
    if (!/^C-[A-Z0-9]{6}$/.test(ref) || !(await this.redis.exists(key))) return false;
    if ((await this.redis.hsetnx(key, 'resolvedBy', staffId)) !== 1) return false;
    await this.redis.multi().hset(key, 'status', 'resolved', 'resolvedAt', new Date(this.now()).toISOString()).expire(key, 90 * 24 * 3600).exec();
    return true;
  }
}

function cleanContext(c: HandoffContext): HandoffContext {
  const ids = (list?: string[]) => (list ?? []).filter((s) => /^[A-Za-z0-9_.:-]{1,64}$/.test(s)).slice(-10);
  return { intents: ids(c.intents), flows: ids(c.flows), requestRefs: ids(c.requestRefs) };
}

function safeJson(text: string | undefined): HandoffContext {
  try {
    return text ? (JSON.parse(text) as HandoffContext) : {};
  } catch {
    return {};
  }
}

function toHandoff(h: Record<string, string>, rank: number | null): Handoff {
  return {
    id: h.id ?? '',
    status: (h.status ?? 'ended') as HandoffStatus,
    channel: h.channel ?? '',
    reason: h.reason ?? '',
    context: safeJson(h.context),
    enqueuedAt: Number(h.enqueuedAt ?? 0),
    ...(h.claimedAt ? { claimedAt: Number(h.claimedAt) } : {}),
    ...(h.closedAt ? { closedAt: Number(h.closedAt) } : {}),
    ...(h.staffId ? { staffId: h.staffId, staffName: h.staffName ?? '' } : {}),
    ...(h.status === 'waiting' && rank !== null ? { position: rank + 1 } : {}),
  };
}

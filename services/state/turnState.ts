/**
 * Conversation state for turns that run under the conversation's turn lock, in two Redis round trips:
 *   1. take the lock and read the state (one script);
 *   2. write the state if it changed — or only refresh its idle TTL — and release the lock (one script).
 *
 * It is botbuilder's `ConversationState` (same storage keys, same accessors, eTag `*` on save) with two
 * differences: the state read with the lock primes the turn's cache, and change detection compares the JSON
 * about to be written with the JSON that was read (one `JSON.stringify` per save, no hashing), skipping the
 * write when they are equal. Outside `withTurn` (proactive messages, tests) it loads and saves like
 * `ConversationState`, one round trip each.
 */
import { ConversationState, type TurnContext } from 'botbuilder';
import { hashTagOf } from '../redis';
import { docOf, type RawItem, type RedisStorage } from './redisStorage';
import type { LockLease, TurnLock } from './turnLock';

/** What a turn holds in its turnState: the state object and the JSON it was read or last written as. */
interface Cached {
  state: Record<string, unknown>;
  json: string;
}

/** An item read with the lock, parsed on first use: a document that does not parse fails inside the turn's work. */
interface Unparsed {
  unparsed: RawItem | null;
}

/** JSON of an empty state (nothing stored yet): an untouched new conversation is not written. */
const EMPTY = '{}';

export interface TurnStateOptions {
  /**
   * Other keys of the conversation (string values) that nearly every turn reads: read in the lock's round trip
   * when Redis allows (one node, or the conversation's slot on a cluster) and kept for the turn (`readWithLock`).
   * `conversationId` is "<channel>/<conversation id>".
   */
  alsoRead?: (conversationId: string) => string[];
  namespace?: string;
}

export class TurnConversationState extends ConversationState {
  private readonly cacheKey = Symbol('turnConversationState');
  private readonly alsoReadKey = Symbol('turnConversationState.alsoRead');

  constructor(
    private readonly store: RedisStorage,
    private readonly lock: TurnLock,
    private readonly options: TurnStateOptions = {},
  ) {
    super(store, options.namespace ?? '');
  }

  /**
   * The values of `alsoRead`'s keys as read with this turn's lock, in its order: null = no such key, undefined = not
   * read with it (not allowed in one script on a cluster, or outside `withTurn`: read it apart).
   */
  readWithLock(context: TurnContext): ReadonlyArray<string | null | undefined> {
    return (context.turnState.get(this.alsoReadKey) as Array<string | null | undefined> | undefined) ?? [];
  }

  /**
   * Runs `fn` holding the conversation's turn lock, with the state loaded in the lock's round trip. `commit`
   * saves the changes and releases the lock in one round trip (the lock is released anyway when `fn` ends).
   * @throws TurnLockTimeoutError when another turn of the conversation holds the lock for longer than the wait.
   */
  async withTurn<T>(context: TurnContext, fn: (commit: () => Promise<void>) => Promise<T>): Promise<T> {
    const storageKey = this.keyOf(context);
    const id = `${context.activity.channelId}/${context.activity.conversation.id}`;
    // Both keys must hash to one slot for one script; they do by construction, but never assume it.
    const itemTag = hashTagOf(this.store.redisKeyOf(storageKey));
    const together = hashTagOf(this.lock.keyOf(id)) === itemTag;
    const wanted = together ? (this.options.alsoRead?.(id) ?? []) : [];
    // One node (or Sentinel) runs a script over any keys; a cluster only over keys of the item's slot.
    const readable = this.store.onCluster ? wanted.filter((key) => hashTagOf(key) === itemTag) : wanted;
    const acquire = together
      ? async (lease: LockLease) => {
          const res = await this.store.lockAndRead(storageKey, lease, lease.lockMs, readable);
          if (res.locked) {
            this.keepUnparsed(context, res.item);
            if (wanted.length) {
              const values = new Map(readable.map((key, i) => [key, res.also[i] ?? null]));
              context.turnState.set(this.alsoReadKey, wanted.map((key) => values.get(key)));
            }
          }
          return res.locked;
        }
      : undefined;
    return this.lock.withLock(id, (lease) => fn(() => (together ? this.saveAndRelease(context, storageKey, lease) : this.saveChanges(context))), acquire);
  }

  override async load(context: TurnContext, force = false): Promise<Record<string, unknown>> {
    const cached = this.cached(context);
    if (!force && cached) return cached.state;
    return this.prime(context, await this.store.readRaw(this.keyOf(context)));
  }

  override async saveChanges(context: TurnContext, force = false): Promise<void> {
    const cached = this.cached(context) ?? (force ? this.set(context, {}, '') : undefined);
    if (!cached) return;
    const json = docOf(cached.state);
    if (!force && json === cached.json) return;
    await this.store.writeDoc(this.keyOf(context), '*', json);
    this.written(cached, json);
  }

  override get(context: TurnContext): Record<string, unknown> | undefined {
    return this.cached(context)?.state;
  }

  override async clear(context: TurnContext): Promise<void> {
    this.set(context, {}, ''); // '' never equals a document's JSON: the next save writes
  }

  override async delete(context: TurnContext): Promise<void> {
    context.turnState.delete(this.cacheKey);
    await this.store.delete([this.keyOf(context)]);
  }

  /** Saves (eTag `*`, as BotState does) and releases the lease, or only releases it (TTL refreshed) when nothing changed. */
  private async saveAndRelease(context: TurnContext, storageKey: string, lease: LockLease): Promise<void> {
    const entry = context.turnState.get(this.cacheKey) as Cached | Unparsed | undefined;
    // Never read this turn: unchanged by definition.
    const cached = entry && 'unparsed' in entry ? undefined : this.cached(context);
    const json = cached ? docOf(cached.state) : undefined;
    if (cached && json !== undefined && json !== cached.json) {
      await this.store.writeDoc(storageKey, '*', json, lease);
      this.written(cached, json);
    } else {
      await this.store.touchAndRelease(storageKey, lease);
    }
    lease.released = true;
  }

  private keyOf(context: TurnContext): string {
    const key = this.getStorageKey(context);
    if (!key) throw new Error('ConversationState: the activity has no channel or conversation id');
    return key;
  }

  private prime(context: TurnContext, item: RawItem | null): Record<string, unknown> {
    const state = item ? { ...(JSON.parse(item.doc) as Record<string, unknown>), eTag: item.etag } : {};
    return this.set(context, state, item ? item.doc : EMPTY).state;
  }

  /** Keeps the item read with the lock for the turn; it is parsed when the turn first uses its state. */
  private keepUnparsed(context: TurnContext, item: RawItem | null): void {
    context.turnState.set(this.cacheKey, { unparsed: item } satisfies Unparsed);
  }

  private written(cached: Cached, json: string): void {
    cached.state.eTag = '*';
    cached.json = json;
  }

  private cached(context: TurnContext): Cached | undefined {
    const entry = context.turnState.get(this.cacheKey) as Cached | Unparsed | undefined;
    if (entry && 'unparsed' in entry) {
      context.turnState.delete(this.cacheKey); // a document that does not parse throws here, every time
      this.prime(context, entry.unparsed);
      return context.turnState.get(this.cacheKey) as Cached;
    }
    return entry;
  }

  private set(context: TurnContext, state: Record<string, unknown>, json: string): Cached {
    const cached = { state, json };
    context.turnState.set(this.cacheKey, cached);
    return cached;
  }
}

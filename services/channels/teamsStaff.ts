/**
 * Where the practice's staff team lives in Microsoft Teams: when the Teams app is installed in a team
 * (`installationUpdate`, see bot/teams.ts) the team's conversation reference is stored here, so the
 * handoff (a later issue) can post "a patient is waiting" there proactively from any instance.
 *
 * Keys: `<prefix>:teams:staff` (a hash of team id → JSON conversation reference). No TTL: an uninstall
 * removes the entry. `<prefix>:teams:card:<subject>` (a hash of team id → activity id of the card posted about
 * a handoff or request, so it can be updated), kept two days.
 */
import type { Keys, RedisClient } from '../redis';

/** The parts of a Bot Framework ConversationReference the handoff needs (kept structural: no botbuilder import here). */
export interface StaffTeamReference {
  serviceUrl?: string;
  channelId: string;
  conversation: { id: string; conversationType?: string; tenantId?: string; [k: string]: unknown };
  bot?: { id: string; name?: string };
  [k: string]: unknown;
}

export interface StaffTeamStore {
  save(teamId: string, reference: StaffTeamReference): Promise<void>;
  remove(teamId: string): Promise<void>;
  /** Every team the app is installed in, by team id. */
  all(): Promise<Record<string, StaffTeamReference>>;
  /** Remembers the card posted in `teamId` about `subject` (a handoff or request id). */
  saveCard(subject: string, teamId: string, activityId: string): Promise<void>;
  /** The cards posted about `subject`, by team id. */
  cards(subject: string): Promise<Record<string, string>>;
}

const CARD_TTL_SECONDS = 2 * 24 * 3600;

export function createStaffTeamStore(redis: RedisClient, keys: Keys): StaffTeamStore {
  const key = keys.plain('teams', 'staff');
  return {
    async save(teamId, reference) {
      await redis.hset(key, teamId, JSON.stringify(reference));
    },
    async remove(teamId) {
      await redis.hdel(key, teamId);
    },
    async all() {
      const raw = await redis.hgetall(key);
      return Object.fromEntries(Object.entries(raw).map(([id, json]) => [id, JSON.parse(json) as StaffTeamReference]));
    },
    async saveCard(subject, teamId, activityId) {
      const cardKey = keys.plain('teams', 'card', subject);
      await redis.multi().hset(cardKey, teamId, activityId).expire(cardKey, CARD_TTL_SECONDS).exec();
    },
    async cards(subject) {
      return redis.hgetall(keys.plain('teams', 'card', subject));
    },
  };
}

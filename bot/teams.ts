/**
 * Microsoft Teams rules, applied by PortalBot before the conversation (bot/channels.ts wires them):
 *
 * - Personal scope is the patient's: the conversation runs as on any channel. Teams announces a personal
 *   install as a `conversationUpdate` that adds the *bot*; the patient is the sender, so the welcome is
 *   shown for them.
 * - Any other scope (`channel` in the staff team; group chats) is never a patient conversation: the bot
 *   strips its @mention (`TurnContext.removeRecipientMention`), runs no patient flow, and says it posts
 *   staff notifications here (the handoff issue uses the team).
 * - `installationUpdate` in a team stores (add) or removes (remove) the team's conversation reference
 *   (services/channels/teamsStaff.ts), so staff notifications can be posted there from any instance.
 * - Every outgoing activity stays under Teams' 80 KB message limit: long text is split into several messages.
 */
import { TurnContext, type Activity, type ChannelAccount } from 'botbuilder';
import type { StaffTeamStore } from '../services/channels/teamsStaff';
import type { Logger } from '../services/logger';
import { splitText } from './render';

/** Teams refuses messages over about 80 KB (the whole activity, JSON). */
export const TEAMS_MAX_BYTES = 80 * 1024;
/** Characters per split part: even at 4 UTF-8 bytes each, a part and its envelope stay well under 80 KB. */
const TEAMS_PART_CHARS = 15_000;

export const STAFF_SCOPE_REPLY =
  "Hi! In this team I only post notifications for the practice staff (for example when a patient asks to talk to a person). Patients chat with me privately, in a personal chat; I don't run patient conversations here.";
export const STAFF_SCOPE_HELP =
  "I'm the patient-portal help bot. In this team I post staff notifications only; there is nothing to ask me here. To try the patient side, open a personal chat with me. To stop the notifications, remove the app from this team.";
export const STAFF_TEAM_INSTALLED = 'Thanks for adding me. I will post patient-portal staff notifications in this team.';

/** True for a Teams conversation that is not a one-to-one chat with a patient. */
export function isStaffScope(activity: Partial<Activity>): boolean {
  if (activity.channelId !== 'msteams') return false;
  const type = activity.conversation?.conversationType;
  return type !== undefined ? type !== 'personal' : Boolean((activity.channelData as { team?: unknown } | undefined)?.team);
}

/** The team's id, from channelData. */
function teamIdOf(activity: Partial<Activity>): string | undefined {
  return (activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;
}

export class TeamsRules {
  constructor(private readonly deps: { staffTeams: StaffTeamStore; logger: Logger }) {}

  /** A message in the staff team (or a group chat): mention stripped, a short staff reply; true = handled. */
  async onMessage(context: TurnContext): Promise<boolean> {
    if (!isStaffScope(context.activity)) return false;
    const text = (TurnContext.removeRecipientMention(context.activity) ?? '').trim();
    await context.sendActivity(/^(help|\?)$/i.test(text) ? STAFF_SCOPE_HELP : STAFF_SCOPE_REPLY);
    return true;
  }

  /** Members added: in the staff team, a staff greeting instead of the patient welcome; true = handled. */
  async onMembersAdded(context: TurnContext): Promise<boolean> {
    const { activity } = context;
    if (activity.channelId !== 'msteams') return false;
    const botId = activity.recipient?.id;
    const added: ChannelAccount[] = activity.membersAdded ?? [];
    if (isStaffScope(activity)) {
      if (added.some((m) => m.id === botId)) await context.sendActivity(STAFF_TEAM_INSTALLED);
      return true;
    }
    // Personal install: Teams adds the bot; the patient (the sender) is who should be welcomed.
    if (added.some((m) => m.id === botId) && activity.from && !added.some((m) => m.id === activity.from.id)) {
      activity.membersAdded = [...added, activity.from];
    }
    return false;
  }

  /** The app was installed in (or removed from) a team: keep the team's conversation reference for staff notifications. */
  async onInstallationUpdate(context: TurnContext): Promise<void> {
    const { activity } = context;
    if (activity.channelId !== 'msteams') return;
    const teamId = teamIdOf(activity);
    if (!teamId) return; // a personal install: nothing to keep
    const action = activity.action ?? '';
    if (action.startsWith('add')) {
      const reference = TurnContext.getConversationReference(activity);
      // The team's General channel: its id is the team id.
      await this.deps.staffTeams.save(teamId, {
        ...reference,
        channelId: 'msteams',
        conversation: { ...reference.conversation, id: teamId, conversationType: 'channel', isGroup: true },
      } as never);
      this.deps.logger.info({ event: 'teams-staff-team', action: 'add' }, 'staff team stored');
    } else if (action.startsWith('remove')) {
      await this.deps.staffTeams.remove(teamId);
      this.deps.logger.info({ event: 'teams-staff-team', action: 'remove' }, 'staff team removed');
    }
  }

  /** Keeps every message this turn sends under Teams' size limit (register after channel rendering). */
  useSizeLimit(context: TurnContext): void {
    context.onSendActivities(async (_ctx, activities, next) => {
      const fitted = activities.flatMap((a) => fitTeamsMessage(a));
      activities.splice(0, activities.length, ...fitted);
      return next();
    });
  }
}

/** One activity as Teams will take it: text split into several messages, card text cut, when over the limit. */
export function fitTeamsMessage(activity: Partial<Activity>): Partial<Activity>[] {
  if (Buffer.byteLength(JSON.stringify(activity)) < TEAMS_MAX_BYTES) return [activity];
  const cards = activity.attachments ?? [];
  const fittedCards = cards.map((c) => {
    const content = c.content as { text?: string } | undefined;
    return content?.text && content.text.length > TEAMS_PART_CHARS
      ? { ...c, content: { ...content, text: `${content.text.slice(0, TEAMS_PART_CHARS - 1)}…` } }
      : c;
  });
  const parts = activity.text ? splitText(activity.text, TEAMS_PART_CHARS) : [''];
  return parts.map((text, i) => {
    const last = i === parts.length - 1;
    const part: Partial<Activity> = { ...activity, text: text || undefined };
    // Cards and suggested actions go with the last part, where the patient will look for them.
    if (!last) {
      delete part.attachments;
      delete part.suggestedActions;
    } else if (cards.length) part.attachments = fittedCards;
    return part;
  });
}

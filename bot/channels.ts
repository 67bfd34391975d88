/**
 * Channel rules that run before the conversation (PortalBot calls them): attachments are refused on every
 * channel, SMS carrier keywords (bot/sms.ts), Teams scopes, installs and size limit (bot/teams.ts).
 * Kept out of dialogs/: they are about the channel, not about what the patient asks.
 */
import type { Activity, TurnContext } from 'botbuilder';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { OptOutStore } from '../services/channels/optOut';
import type { StaffTeamStore } from '../services/channels/teamsStaff';
import type { Conversation } from '../dialogs';
import { handleSmsKeyword } from './sms';
import { TeamsRules } from './teams';

export interface ChannelRulesDeps {
  practice: Config['practice'];
  optOuts: OptOutStore;
  staffTeams: StaffTeamStore;
  conversation: Conversation;
  logger: Logger;
}

/** Content types that carry the typed text itself rather than a file (Teams adds its HTML rendering of the message). */
const TEXT_ATTACHMENTS = new Set(['text/html', 'text/plain']);

/** True when a message carries a file, picture or other attachment (never accepted: it may hold PHI). */
export function hasFileAttachment(activity: Partial<Activity>): boolean {
  if ((activity.type ?? '') !== 'message') return false;
  return (activity.attachments ?? []).some((a) => !TEXT_ATTACHMENTS.has(String(a.contentType ?? '').toLowerCase()));
}

export function attachmentRefusal(practice: Config['practice']): string {
  return `Sorry, I can't accept files or pictures here, so I didn't keep it. Please don't send documents or medical details in this chat. If the practice needs something from you, call ${practice.phone}.`;
}

export class ChannelRules {
  private readonly teams: TeamsRules;

  constructor(private readonly deps: ChannelRulesDeps) {
    this.teams = new TeamsRules({ staffTeams: deps.staffTeams, logger: deps.logger });
  }

  /**
   * Before the turn (and before its lock and state): channel send hooks, and the refusal of attachments.
   * Returns true when the turn is over (a file was refused: nothing is read, stored or passed on).
   */
  async beforeTurn(context: TurnContext): Promise<boolean> {
    if (context.activity.channelId === 'msteams') this.teams.useSizeLimit(context);
    if (!hasFileAttachment(context.activity)) return false;
    this.deps.logger.info({ event: 'attachment-refused', channel: context.activity.channelId, count: context.activity.attachments?.length ?? 0 }, 'attachment refused');
    await context.sendActivity(attachmentRefusal(this.deps.practice));
    return true;
  }

  /** A message, inside the turn lock: true when a channel rule answered it (the conversation must not). */
  async onMessage(context: TurnContext): Promise<boolean> {
    switch (context.activity.channelId) {
      case 'sms':
        return handleSmsKeyword(context, {
          optOuts: this.deps.optOuts,
          practice: this.deps.practice,
          logger: this.deps.logger,
          cancelFlow: (ctx) => this.deps.conversation.cancel(ctx),
        });
      case 'msteams':
        return this.teams.onMessage(context);
      default:
        return false;
    }
  }

  /** Members added: true when a channel rule handled it (no patient welcome). */
  async onMembersAdded(context: TurnContext): Promise<boolean> {
    return this.teams.onMembersAdded(context);
  }

  async onInstallationUpdate(context: TurnContext): Promise<void> {
    await this.teams.onInstallationUpdate(context);
  }
}

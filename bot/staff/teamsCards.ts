/**
 * Staff notices in Microsoft Teams: when the app is installed in the practice's staff team (bot/teams.ts
 * keeps the team's conversation reference), every new handoff and every new practice request is posted there
 * as an Adaptive Card — proactively, from whichever instance the change happened on — with the wait, the
 * reason and "Open in console". When the handoff is claimed, transferred or closed, the card is updated in
 * place (its activity id is kept per team in services/channels/teamsStaff.ts).
 *
 * Cards carry ids, channels and reasons only: never a patient's name, contact or words.
 */
import { CardFactory, type Attachment, type CloudAdapter, type ConversationReference, type TurnContext } from 'botbuilder';
import type { StaffTeamReference, StaffTeamStore } from '../../services/channels/teamsStaff';
import type { Handoff, HandoffStatus, StaffNotifier } from '../../services/handoff';
import type { Logger } from '../../services/logger';

export interface TeamsCardsDeps {
  adapter: CloudAdapter;
  appId: string;
  staffTeams: StaffTeamStore;
  /** PUBLIC_BASE_URL: "Open in console" links to `<base>/staff#<id>`. */
  publicBaseUrl: string;
  timeZone: string;
  logger: Logger;
}

/** What the card says about a handoff in each state. */
const HANDOFF_HEADLINE: Record<HandoffStatus, string> = {
  waiting: 'A patient is waiting for a person',
  claimed: 'Claimed',
  returned: 'Returned to the bot',
  ended: 'Conversation ended',
  cancelled: 'The patient left the queue',
  'timed-out': 'Nobody claimed it in time: the patient was offered a callback',
};

/** A practice request, as the staff card shows it. */
export interface RequestNotice {
  requestId: string;
  kind: string;
}

export class TeamsStaffCards implements StaffNotifier {
  constructor(private readonly deps: TeamsCardsDeps) {}

  async handoffQueued(h: Handoff): Promise<void> {
    await this.post(h.id, this.handoffCard(h));
  }

  async handoffChanged(h: Handoff): Promise<void> {
    await this.update(h.id, this.handoffCard(h));
  }

  /** A new practice request (token renewal, reactivation, reset token, enrollment, callback). */
  async requestFiled(r: RequestNotice): Promise<void> {
    await this.post(r.requestId, card(`New practice request ${r.requestId}`, [
      ['Request', r.requestId],
      ['Kind', r.kind],
      ['Filed', this.time(Date.now())],
    ], this.consoleUrl(r.requestId)));
  }

  private handoffCard(h: Handoff): Attachment {
    const facts: Array<[string, string]> = [
      ['Handoff', h.id],
      ['Channel', h.channel],
      ['Reason', h.reason],
      ['Waiting since', this.time(h.enqueuedAt)],
    ];
    if (h.staffName) facts.push(['With', h.staffName]);
    if (h.claimedAt) facts.push(['Claimed at', this.time(h.claimedAt)]);
    if (h.closedAt) facts.push(['Closed at', this.time(h.closedAt)]);
    const headline = h.status === 'claimed' && h.staffName ? `Claimed by ${h.staffName}` : HANDOFF_HEADLINE[h.status];
    return card(headline, facts, this.consoleUrl(h.id));
  }

  private consoleUrl(id: string): string {
    return `${this.deps.publicBaseUrl.replace(/\/+$/, '')}/staff#${encodeURIComponent(id)}`;
  }

  private time(ms: number): string {
    return new Intl.DateTimeFormat('en-US', { timeZone: this.deps.timeZone, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(new Date(ms));
  }

  /** Posts the card to every staff team and remembers where. */
  private async post(subject: string, attachment: Attachment): Promise<void> {
    for (const [teamId, reference] of Object.entries(await this.deps.staffTeams.all())) {
      await this.inTeam(reference, async (context) => {
        const sent = await context.sendActivity({ type: 'message', attachments: [attachment], summary: 'Patient-portal staff notice' });
        if (sent?.id) await this.deps.staffTeams.saveCard(subject, teamId, sent.id);
      });
    }
  }

  /** Replaces the cards posted about `subject` with `attachment`. */
  private async update(subject: string, attachment: Attachment): Promise<void> {
    const cards = await this.deps.staffTeams.cards(subject);
    if (!Object.keys(cards).length) return;
    const teams = await this.deps.staffTeams.all();
    for (const [teamId, activityId] of Object.entries(cards)) {
      const reference = teams[teamId];
      if (!reference) continue; // uninstalled since
      await this.inTeam(reference, async (context) => {
        await context.updateActivity({ type: 'message', id: activityId, attachments: [attachment], summary: 'Patient-portal staff notice' });
      });
    }
  }

  /** Runs `work` in the team's conversation; a failure in one team is logged and does not stop the others. */
  private async inTeam(reference: StaffTeamReference, work: (context: TurnContext) => Promise<void>): Promise<void> {
    try {
      await this.deps.adapter.continueConversationAsync(this.deps.appId, reference as unknown as Partial<ConversationReference>, work);
    } catch (err) {
      this.deps.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'staff team notice failed');
    }
  }
}

/** An Adaptive Card (1.4, what Teams renders on every client): a headline, facts and "Open in console". */
function card(headline: string, facts: Array<[string, string]>, url: string): Attachment {
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: headline, weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })) },
    ],
    actions: [{ type: 'Action.OpenUrl', title: 'Open in console', url }],
  });
}

/**
 * The handoff use cases, over the queue (queue.ts): what the patient side (dialogs/handoffDialog.ts) asks —
 * can a person take this now, join, where am I, leave, say something to the person, leave a callback —
 * and what the staff side (bot/staff/) does — claim, reply, return to the bot. Every change is audited.
 * Delivery to the patient's channel is the host's job (bot/staff/delivery.ts): these functions return the
 * stored conversation reference with what to say.
 */
import type { AuditLog } from '../audit';
import type { Logger } from '../logger';
import { isPracticeOpen, type PracticeHours } from '../practice/hours';
import { HandoffQueue, type ClaimResult, type ConversationKeysRead, type ExternalHandoffState, type Handoff, type HandoffContext, type HandoffStatus, type StaffMember, type TranscriptEntry } from './queue';

export * from './queue';
export { redactTranscriptText } from './redact';

export type Availability = 'available' | 'closed' | 'nobody-online';

/** What the person with the conversation is told when the patient uses emergency wording. */
export const EMERGENCY_ALERT = 'EMERGENCY wording: the patient was given the emergency answer (911 / 988). Please check on them now.';

/** HANDOFF_MODE: the internal queue and staff console, or the Bot Framework handoff protocol to an agent hub. */
export type HandoffMode = 'internal' | 'external';

/**
 * Where staff hear about new work besides the console (bot/staff/teamsCards.ts posts Adaptive Cards to the
 * practice's staff team in Teams). Called after the change is stored; a failure is logged, never the caller's.
 */
export interface StaffNotifier {
  /** A patient joined the queue. */
  handoffQueued(h: Handoff): Promise<void>;
  /** Claimed, transferred or closed: the notice shows the new state. */
  handoffChanged(h: Handoff): Promise<void>;
  /** A new request in the staff queue: a practice request (R-…) or a callback request (C-…). */
  requestFiled(r: { requestId: string; kind: string }): Promise<void>;
}

/** The patient's view of their handoff. */
export interface PatientHandoff {
  id: string;
  status: HandoffStatus;
  position?: number;
  waitMinutes?: number;
  staffName?: string;
  /** Waiting longer than HANDOFF_WAIT_SECONDS. */
  overdue: boolean;
}

/** What the dialogs need (dialogs/deps.ts): the patient side only. */
export interface HandoffPort {
  availability(now?: Date): Promise<Availability>;
  join(input: { conversationKey: string; channel: string; reason: string; context: HandoffContext; reference: unknown; conversationRef?: string }): Promise<PatientHandoff>;
  /** The conversation's handoff; `read`: what the turn already read of its keys (`conversationKeys`). */
  current(conversationKey: string, read?: ConversationKeysRead): Promise<PatientHandoff | null>;
  /** The patient left the queue ("cancel"). */
  leave(id: string, conversationKey: string): Promise<void>;
  /** No claim in time: the handoff closes as timed out. False when someone claimed it meanwhile. */
  timeOut(id: string): Promise<boolean>;
  /** The conversation is the bot's again (after a time-out was answered). */
  forget(conversationKey: string): Promise<void>;
  /** Relays a patient message to the staff member (stored redacted). */
  patientSaid(id: string, text: string): Promise<void>;
  /** Emergency wording while a person has (or is about to have) the conversation: alert them. */
  alertEmergency(id: string): Promise<void>;
  /** External mode: the agent hub was sent an emergency alert event (audited). */
  externalEmergency?(conversationRef?: string): Promise<void>;
  fileCallback(input: { channel: string; reason: string; context: HandoffContext; contact: string; conversationRef?: string }): Promise<string>;
  /** REQUEST_RESPONSE_TIME, as patients are told. */
  readonly responseTime: string;
  /** HANDOFF_MODE (default internal). */
  readonly mode?: HandoffMode;
  /** External mode: the conversation's state with the agent hub (null: the bot has it). */
  externalState?(conversationKey: string, read?: ConversationKeysRead): Promise<ExternalHandoffState | null>;
  setExternalState?(conversationKey: string, state: ExternalHandoffState | null, detail?: { conversationRef?: string }): Promise<void>;
}

export interface HandoffDeskOptions {
  queue: HandoffQueue;
  audit: AuditLog;
  logger: Logger;
  hours: PracticeHours;
  timeZone: string;
  /** HANDOFF_WAIT_SECONDS. */
  waitSeconds: number;
  responseTime: string;
  /** HANDOFF_MODE (default internal). */
  mode?: HandoffMode;
  /** Staff notices outside the console (Teams). */
  notifier?: StaffNotifier;
}

export class HandoffDesk implements HandoffPort {
  readonly queue: HandoffQueue;
  readonly responseTime: string;
  readonly waitSeconds: number;
  readonly mode: HandoffMode;

  constructor(private readonly o: HandoffDeskOptions) {
    this.queue = o.queue;
    this.responseTime = o.responseTime;
    this.waitSeconds = o.waitSeconds;
    this.mode = o.mode ?? 'internal';
  }

  /** Tells the notifier (if any) without holding up the caller: a Teams outage must not slow a patient's turn. */
  private notify(call: (n: StaffNotifier) => Promise<void>): void {
    const n = this.o.notifier;
    if (!n) return;
    call(n).catch((err: Error) => this.o.logger.warn({ err: { name: err.name, message: err.message } }, 'staff notification failed'));
  }

  private changed(id: string): void {
    if (!this.o.notifier) return;
    this.notify(async (n) => {
      const h = await this.queue.get(id);
      if (h) await n.handoffChanged(h);
    });
  }

  async availability(now = new Date()): Promise<Availability> {
    if (!isPracticeOpen(this.o.hours, this.o.timeZone, now)) return 'closed';
    // An agent hub (Omnichannel) knows its own agents' presence; the bot only knows office hours.
    if (this.mode === 'external') return 'available';
    return (await this.queue.onlineStaffCount()) > 0 ? 'available' : 'nobody-online';
  }

  private async view(h: Handoff | null): Promise<PatientHandoff | null> {
    if (!h) return null;
    const overdue = h.status === 'waiting' && Date.now() - h.enqueuedAt > this.waitSeconds * 1000;
    return {
      id: h.id,
      status: h.status,
      overdue,
      ...(h.position ? { position: h.position, waitMinutes: await this.queue.estimateMinutes(h.position) } : {}),
      ...(h.staffName ? { staffName: h.staffName } : {}),
    };
  }

  async join(input: Parameters<HandoffPort['join']>[0]): Promise<PatientHandoff> {
    const { handoff, created } = await this.queue.enqueue(input);
    if (handoff.position) await this.queue.markToldPosition(handoff.id, handoff.position); // the patient is told it now
    if (created) {
      await this.o.audit.record({ type: 'handoff-queued', conversationRef: input.conversationRef, detail: { handoffId: handoff.id, channel: input.channel } });
      this.notify((n) => n.handoffQueued(handoff));
      if (input.context.flows?.length || input.context.intents?.length) {
        await this.queue.note(handoff.id, { from: 'note', text: botNote(input.reason, input.context) });
      }
    }
    return (await this.view(handoff))!;
  }

  async current(conversationKey: string, read?: ConversationKeysRead): Promise<PatientHandoff | null> {
    return this.view(await this.queue.forConversation(conversationKey, read));
  }

  async leave(id: string): Promise<void> {
    if (await this.queue.close(id, 'cancelled', ['waiting', 'timed-out'])) {
      await this.queue.note(id, { from: 'note', text: 'The patient left the queue.' });
      await this.o.audit.record({ type: 'handoff-cancelled', detail: { handoffId: id } });
      this.changed(id);
    }
  }

  async timeOut(id: string): Promise<boolean> {
    const was = await this.queue.close(id, 'timed-out', ['waiting']);
    if (!was) return false;
    await this.queue.note(id, { from: 'note', text: 'Nobody claimed the conversation in time; the patient was offered a callback.' });
    await this.o.audit.record({ type: 'handoff-timed-out', detail: { handoffId: id, waitSeconds: this.waitSeconds } });
    this.changed(id);
    return true;
  }

  async forget(conversationKey: string): Promise<void> {
    await this.queue.forget(conversationKey);
  }

  async patientSaid(id: string, text: string): Promise<void> {
    await this.queue.note(id, { from: 'patient', text });
  }

  async alertEmergency(id: string): Promise<void> {
    await this.queue.note(id, { from: 'note', alert: true, text: EMERGENCY_ALERT });
    await this.o.audit.record({ type: 'handoff-emergency', detail: { handoffId: id } });
  }

  /** External mode: the agent hub was alerted (dialogs/handoffDialog.ts sends the event); audited here. */
  async externalEmergency(conversationRef?: string): Promise<void> {
    await this.o.audit.record({ type: 'handoff-emergency', conversationRef, detail: { mode: 'external' } });
  }

  async fileCallback(input: Parameters<HandoffPort['fileCallback']>[0]): Promise<string> {
    const ref = await this.queue.fileCallback(input);
    await this.o.audit.record({ type: 'callback-requested', requestId: ref, conversationRef: input.conversationRef, detail: { channel: input.channel } });
    this.notify((n) => n.requestFiled({ requestId: ref, kind: 'callback' }));
    this.o.logger.info({ requestId: ref }, 'callback request filed');
    return ref;
  }

  async externalState(conversationKey: string, read?: ConversationKeysRead): Promise<ExternalHandoffState | null> {
    return this.queue.externalState(conversationKey, read);
  }

  async setExternalState(conversationKey: string, state: ExternalHandoffState | null, detail: { conversationRef?: string } = {}): Promise<void> {
    await this.queue.setExternalState(conversationKey, state);
    // The existing handoff audit types, marked external (the hub's own records name the agent).
    const type = ({ pending: 'handoff-queued', accepted: 'handoff-claimed', failed: 'handoff-cancelled' } as const)[state ?? 'pending'];
    await this.o.audit.record({ type: state ? type : 'handoff-returned', conversationRef: detail.conversationRef, detail: { mode: 'external', state: state ?? 'completed' } });
  }

  // Staff side ------------------------------------------------------------------------------------------

  async claim(id: string, staff: StaffMember): Promise<ClaimResult> {
    const result = await this.queue.claim(id, staff);
    await this.o.audit.record({ type: result.ok ? 'handoff-claimed' : 'handoff-claim-refused', detail: { handoffId: id, staffId: staff.id, ...(result.ok ? {} : { reason: result.reason }) } });
    if (result.ok) this.changed(id);
    return result;
  }

  /** A staff reply: refused unless this staff member has the conversation. Returns the reference to deliver to. */
  async staffSaid(id: string, staff: StaffMember, text: string): Promise<{ ok: true; reference: unknown; entry: TranscriptEntry } | { ok: false; reason: 'not-yours' | 'not-found' }> {
    const h = await this.queue.get(id);
    if (!h) return { ok: false, reason: 'not-found' };
    if (h.status !== 'claimed' || h.staffId !== staff.id) return { ok: false, reason: 'not-yours' };
    const entry = await this.queue.note(id, { from: 'staff', text, staffName: staff.name });
    await this.o.audit.record({ type: 'handoff-message-sent', detail: { handoffId: id, staffId: staff.id } });
    return { ok: true, reference: await this.queue.reference(id), entry };
  }

  /** Gives the conversation back to the bot (only the staff member who has it). */
  async returnToBot(id: string, staff: StaffMember): Promise<{ ok: true; reference: unknown } | { ok: false; reason: 'not-yours' | 'not-found' }> {
    return this.finish(id, staff, 'returned');
  }

  /** Ends the conversation (only the staff member who has it): the patient is told, and the bot has it again. */
  async end(id: string, staff: StaffMember): Promise<{ ok: true; reference: unknown } | { ok: false; reason: 'not-yours' | 'not-found' }> {
    return this.finish(id, staff, 'ended');
  }

  private async finish(id: string, staff: StaffMember, to: 'returned' | 'ended'): Promise<{ ok: true; reference: unknown } | { ok: false; reason: 'not-yours' | 'not-found' }> {
    const h = await this.queue.get(id);
    if (!h) return { ok: false, reason: 'not-found' };
    if (h.status !== 'claimed' || h.staffId !== staff.id) return { ok: false, reason: 'not-yours' };
    if (!(await this.queue.close(id, to, ['claimed']))) return { ok: false, reason: 'not-yours' };
    await this.queue.note(id, { from: 'note', text: to === 'returned' ? `${staff.name} returned the conversation to the bot.` : `${staff.name} ended the conversation.` });
    await this.o.audit.record({ type: to === 'returned' ? 'handoff-returned' : 'handoff-ended', detail: { handoffId: id, staffId: staff.id } });
    this.changed(id);
    return { ok: true, reference: await this.queue.reference(id) };
  }

  /**
   * Hands a conversation to another staff member who is online (only the one who has it can). Returns the
   * reference to tell the patient who they are talking to now.
   */
  async transfer(id: string, from: StaffMember, to: StaffMember): Promise<{ ok: true; reference: unknown } | { ok: false; reason: 'not-yours' | 'not-found' | 'offline' }> {
    if (to.id === from.id || !(await this.queue.onlineStaff()).includes(to.id)) return { ok: false, reason: 'offline' };
    const result = await this.queue.transfer(id, from.id, to);
    if (result !== 'ok') return { ok: false, reason: result };
    await this.queue.note(id, { from: 'note', text: `${from.name} transferred the conversation to ${to.name}.` });
    await this.o.audit.record({ type: 'handoff-transferred', detail: { handoffId: id, staffId: from.id, toStaffId: to.id } });
    this.changed(id);
    return { ok: true, reference: await this.queue.reference(id) };
  }
}

/** The bot's private note to staff: what it knew, without PHI. */
function botNote(reason: string, c: HandoffContext): string {
  const parts = [`Reason: ${reason}.`];
  if (c.flows?.length) parts.push(`Flows: ${c.flows.join(', ')}.`);
  if (c.intents?.length) parts.push(`Asked about: ${c.intents.join(', ')}.`);
  if (c.requestRefs?.length) parts.push(`Requests filed: ${c.requestRefs.join(', ')}.`);
  return `From the bot: ${parts.join(' ')}`;
}

/**
 * SMS that fits a phone: every reply the bot can send, rendered for SMS, is one message of at most 459 GSM-7
 * characters (3 segments) — KB answers by their SMS form with "Reply MORE for details." and the entry's choices,
 * fixed messages with their choices — and the full answer sent after "MORE" comes in parts of at most 459.
 */
import type { Activity } from 'botbuilder';
import { renderActivity, SMS_MAX_LENGTH } from '../../bot/render';
import { loadPracticeKnowledgeBase } from '../../dialogs/faq';
import { YES_NO } from '../../dialogs/input';
import {
  CANCELLED,
  contactPracticeText,
  FRUSTRATION_ACK,
  NOT_UNDERSTOOD,
  NOT_UNDERSTOOD_AGAIN,
  SMS_MORE_HINT,
  topTaskChoices,
  UNCOVERED,
  UNCOVERED_OFFER,
  UNIFORM,
  WELCOME,
  type PracticeInfo,
} from '../../dialogs/messages';
import { replyActivity } from '../../dialogs/prompts';
import type { Choice } from '../../dialogs/input';
import { loadConfig } from '../../services/config';

/** The GSM 03.38 basic character set and its extension table (each extension character costs 2). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const isGsm7 = (text: string): boolean => [...text].every((ch) => GSM7_BASIC.includes(ch) || GSM7_EXTENSION.includes(ch));
/** Septets a GSM-7 text takes (extension characters count twice). */
const septets = (text: string): number => [...text].reduce((n, ch) => n + (GSM7_EXTENSION.includes(ch) ? 2 : 1), 0);

const config = loadConfig({ NODE_ENV: 'test' });
const practice: PracticeInfo = config.practice;
const kb = loadPracticeKnowledgeBase(practice, config.requestResponseTime);

function sms(text: string, choices: Choice[] = []): string[] {
  return renderActivity('sms', replyActivity({ text, choices }) as Partial<Activity>).map((a) => a.text ?? '');
}

function expectFits(parts: string[]): void {
  for (const part of parts) {
    expect(isGsm7(part)).toBe(true);
    expect(septets(part)).toBeLessThanOrEqual(SMS_MAX_LENGTH);
  }
}

const entryChoices = (id: string): Choice[] => {
  const entry = kb.byId.get(id)!;
  if (id === 'greeting' || id === 'help') return topTaskChoices(); // MainDialog shows them with the menu
  if (entry.action) return YES_NO;
  return entry.followUps.map((f) => ({ label: kb.byId.get(f)!.title, value: kb.byId.get(f)!.title }));
};

describe('SMS length', () => {
  it('the GSM-7 check itself: curly quotes and emoji are not GSM-7', () => {
    expect(isGsm7('Reply 1 for "help" @ $5')).toBe(true);
    expect(isGsm7('It\u2019s')).toBe(false);
    expect(isGsm7('ok \u{1F600}')).toBe(false);
  });

  it.each(kb.entries.map((e) => e.id))('entry %s: its SMS reply is one message of at most 459 GSM-7 characters', (id) => {
    const entry = kb.byId.get(id)!;
    const text = entry.sms ? `${entry.sms}\n${SMS_MORE_HINT}` : entry.answer;
    const parts = sms(text, entryChoices(id));
    expectFits(parts);
    expect(parts).toHaveLength(1);
    if (entry.action && entry.actionPrompt) expect(sms(entry.actionPrompt, YES_NO)).toHaveLength(1);
  });

  it.each(kb.entries.filter((e) => e.sms).map((e) => e.id))('entry %s: after MORE, the full answer comes in parts of at most 459', (id) => {
    const parts = sms(kb.byId.get(id)!.answer);
    expectFits(parts);
    const words = (t: string): number => t.trim().split(/\s+/).length;
    expect(words(parts.join(' '))).toBe(words(kb.byId.get(id)!.answer)); // nothing lost between parts
  });

  it('every entry answer longer than 430 characters has an SMS form', () => {
    expect(kb.entries.filter((e) => e.answer.length > 430 && !e.sms).map((e) => e.id)).toEqual([]);
  });

  const menu = topTaskChoices();
  it.each([
    ['welcome', WELCOME(practice.name), menu],
    ['not understood', NOT_UNDERSTOOD, menu],
    ['not understood again', NOT_UNDERSTOOD_AGAIN, YES_NO],
    ['cancelled', CANCELLED, menu],
    ['frustration', FRUSTRATION_ACK, []],
    ['uncovered', `${UNCOVERED} ${contactPracticeText(practice)}`, []],
    ['uncovered offer', UNCOVERED_OFFER, YES_NO],
    ['contact (closed)', contactPracticeText(practice, new Date('2024-01-07T03:00:00Z')), []],
    ['username sent', UNIFORM.usernameSent, []],
    ['reset link sent', UNIFORM.resetLinkSent, []],
    ['practice token failed', UNIFORM.practiceTokenFailed, []],
  ] as [string, string, Choice[]][])('fixed message %s: one SMS of at most 459 GSM-7 characters', (_name, text, choices) => {
    const parts = sms(text, choices);
    expectFits(parts);
    expect(parts).toHaveLength(1);
  });
});

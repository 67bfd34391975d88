/**
 * Reading what a patient typed: which offered choice it means, whether it is a yes or a no, and values of
 * an expected kind (email, date of birth, username, name, contact, token). Typed text always works in place
 * of a button: every choice's `value` is what a button sends, and `matchChoice` accepts the number, the
 * value, the label or a synonym.
 *
 * The rules for what a valid value is come from the services that will use it (username rule, contact
 * rules, token alphabet), so nothing accepted here is refused later.
 */
import { z } from 'zod';
import { foldTyped } from '../services/text/fold';
import { USERNAME_RULE } from '../services/passwords';
import { isContactEmail, isContactPhone } from '../services/requests';
import { normaliseTypedToken, PRACTICE_TOKEN_LENGTH, TYPABLE_ALPHABET } from '../services/tokens';

export interface Choice {
  /** What the button shows (and what an SMS list shows). */
  label: string;
  /** What a button press sends back as text; typed text is matched against it too. */
  value: string;
  /** Other words a patient may type for this choice. */
  synonyms?: string[];
}

/** A reply as dialogs describe it: text and optional choices. bot/render.ts draws it for the channel. */
export interface BotReply {
  text: string;
  choices?: Choice[];
}

export const choice = (label: string, synonyms: string[] = []): Choice => ({ label, value: label, synonyms });

/**
 * Maps what the patient typed to one of the offered choices: a number ("2", "#2", "option 2"), the
 * button value, the label, or a synonym. Undefined when it is not a choice.
 */
export function matchChoice<T extends Choice>(text: string, choices: T[]): T | undefined {
  const t = foldTyped(text).replace(/\?/g, '').trim();
  if (!t) return undefined;
  const num = /^(?:option |number |no |reply )?(\d{1,2})$/.exec(t);
  if (num) return choices[Number(num[1]) - 1];
  return choices.find((c) => [c.value, c.label, ...(c.synonyms ?? [])].some((s) => foldTyped(s).replace(/\?/g, '').trim() === t));
}

export const YES_NO: Choice[] = [
  { label: 'Yes', value: 'Yes', synonyms: ['y', 'yes please', 'yeah', 'yep', 'sure', 'ok', 'okay', 'please'] },
  { label: 'No', value: 'No', synonyms: ['n', 'no thanks', 'nope', 'nah', 'not now'] },
];

const YES_WORDS = new Set(['yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'sure', 'ok', 'okay', 'k', 'please', 'pls', 'plz', 'absolutely', 'definitely']);
const NO_WORDS = new Set(['no', 'n', 'nope', 'nah', 'not']);
const FILLER = new Set(['please', 'pls', 'plz', 'thanks', 'thank', 'you', 'thx', 'sure', 'ok', 'okay', 'that', 'would', 'be', 'great', 'good', 'i', 'do', 'dont', 'now', 'not', 'yet', 'right', 'lets', 'go', 'it', 'is', 'fine']);

/**
 * Reads a yes/no answer ("yes please", "sure", "nope", "no thanks"); undefined when the message says more
 * than that ("no I dont have an email", "ok so how do I enroll?"), so the caller routes the whole text.
 */
export function recogniseYesNo(text: unknown): 'yes' | 'no' | undefined {
  if (typeof text !== 'string') return undefined;
  const words = foldTyped(text).replace(/\?/g, '').split(' ').filter(Boolean);
  const [first, ...rest] = words;
  if (!first || !rest.every((w) => FILLER.has(w))) return undefined;
  if (YES_WORDS.has(first)) return 'yes';
  if (NO_WORDS.has(first)) return 'no';
  return undefined;
}

/** What a validated prompt expects; anything else is re-asked (up to three times). */
export type Expect = 'email' | 'dob' | 'username' | 'login' | 'name' | 'contact' | 'token';

const EMAIL = z.email().max(254);
const isEmail = (t: string) => EMAIL.safeParse(t).success;

/** Reads mm/dd/yyyy (also m/d/yyyy, dashes or dots) into `YYYY-MM-DD`; null when it is not a real past date. */
export function parseDateOfBirth(text: string, today = new Date()): string | null {
  const m = /^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [mo, d, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  const iso = `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (y < 1900 || iso > today.toISOString().slice(0, 10)) return null;
  return iso;
}

/** Normalises a typed answer of the expected kind, or returns null when it is not one. */
export function readAnswer(expect: Expect, text: string): string | null {
  const t = text.trim();
  switch (expect) {
    case 'email':
      return isEmail(t) ? t.toLowerCase() : null;
    case 'dob':
      return parseDateOfBirth(t);
    case 'username':
      return USERNAME_RULE.check(t) ? t : null;
    case 'login':
      return isEmail(t) || USERNAME_RULE.check(t) ? t : null;
    case 'name':
      // A name is a few words of letters; a sentence is not a name.
      return /^[\p{L}][\p{L}\p{M}'’ .-]{0,99}$/u.test(t) && t.split(/\s+/).length <= 4 ? t.replace(/\s+/g, ' ') : null;
    case 'contact':
      if (isContactEmail(t)) return t.toLowerCase();
      return isContactPhone(t) ? t : null;
    case 'token': {
      const typed = normaliseTypedToken(t);
      return typed.length === PRACTICE_TOKEN_LENGTH && [...typed].every((c) => TYPABLE_ALPHABET.includes(c)) ? t : null;
    }
    default:
      return null;
  }
}

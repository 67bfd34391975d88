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
import { isContactPhone } from '../services/requests';
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

const YES_WORDS = new Set(['yes', 'y', 'ya', 'yah', 'yeah', 'yea', 'yep', 'yup', 'yes', 'yess', 'yesss', 'sure', 'ok', 'okay', 'k', 'kk', 'please', 'pls', 'plz', 'absolutely', 'definitely', 'alright', 'certainly', 'correct', 'right', 'affirmative']);
/** Whole phrases that mean yes without a yes word. */
const YES_PHRASES = [/^go ahead\b/, /^(please )?do it\b/, /^please do\b/, /^lets do (it|that)\b/, /^of course\b/, /^sounds good\b/, /^that would (be great|help)\b/, /^i would like that\b/, /^id like that\b/, /^why not\b/];
const NO_WORDS = new Set(['no', 'n', 'nope', 'nah', 'naw', 'not', 'nay']);
/** What may follow a "no" when the patient is only declining: politeness, "not now", "maybe later". */
const DECLINE_FILLER = new Set(['thanks', 'thank', 'you', 'thx', 'ty', 'now', 'not', 'right', 'at', 'the', 'moment', 'maybe', 'later', 'im', 'i', 'am', 'good', 'fine', 'ok', 'okay', 'all', 'set', 'its', 'that', 'is', 'needed', 'need', 'dont', 'really', 'please', 'sorry', 'but', 'so', 'much']);
/** Words that turn a "yes …" into a new question or a refusal, so the whole text is routed instead. */
const QUESTION_START = /^(how|what|where|when|why|who|which|can|could|do|does|is|are|will|would|should)\b/;
const NEGATION = /\b(no|not|dont|doesnt|cant|never|wont)\b/;

/**
 * Reads a yes/no answer the way people give one: "yes", "yeah go ahead", "sure thing", "ok do it", "yes and
 * hurry up", "yes please help me with that" are yes; "nah", "not now", "no thanks" are no. Undefined when the
 * message says more than that ("no I dont have an email", "ok so how do I enroll?"), so the caller routes the
 * whole text.
 */
export function recogniseYesNo(text: unknown): 'yes' | 'no' | undefined {
  if (typeof text !== 'string') return undefined;
  const asked = text.includes('?');
  const folded = foldTyped(text).replace(/\?/g, '').trim();
  const words = folded.split(' ').filter(Boolean);
  const [first, ...rest] = words;
  if (!first) return undefined;
  const restText = rest.join(' ');
  if (YES_WORDS.has(first) || YES_PHRASES.some((p) => p.test(folded))) {
    const afterYes = rest.filter((w, i) => !(i === 0 && (YES_WORDS.has(w) || w === 'thing' || w === 'and' || w === 'so'))).join(' ');
    if (YES_PHRASES.some((p) => p.test(afterYes))) return 'yes'; // "ok do it", "sure, why not"
    if (asked && afterYes) return undefined; // "ok so how do I enroll?"
    if (QUESTION_START.test(afterYes) || NEGATION.test(restText)) return undefined;
    return 'yes';
  }
  if (NO_WORDS.has(first) || /^(not now|maybe later|not really|no thank you)\b/.test(folded)) {
    return rest.every((w) => DECLINE_FILLER.has(w) || NO_WORDS.has(w)) ? 'no' : undefined;
  }
  return undefined;
}

/** What a validated prompt expects; anything else is re-asked (up to three times). */
export type Expect = 'email' | 'dob' | 'username' | 'login' | 'name' | 'contact' | 'token';

/**
 * What a waiting prompt accepts, kept in its options (`validations`): read by the validated prompt (prompts.ts)
 * and by the router (routing.ts). `expect`: the kind of value (`askFor`); `typedAnswer`: free text only the
 * flow can check, such as a security answer (`askTypedAnswer`).
 */
export interface PromptValidations {
  expect?: Expect;
  choices: Choice[];
  typedAnswer?: boolean;
}

const EMAIL = z.email().max(254);
const isEmail = (t: string) => EMAIL.safeParse(t).success;

/** Email-like words inside a sentence ("my email is jo@example.com."). */
const EMAIL_IN_TEXT = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+\.[^\s@<>()[\]"',;:]+/g;
/** Phone-like runs inside a sentence ("call me at 555 867 5309"): digits with spaces, dots, dashes, brackets, "+". */
const PHONE_IN_TEXT = /\+?\(?\d[\d\s().-]{5,30}\d/g;

/** The one email address in `text`, lower-cased, or null when there is none or more than one. */
function emailIn(text: string): string | null {
  const found = [...new Set((text.match(EMAIL_IN_TEXT) ?? []).map((e) => e.replace(/[.!?]+$/, '').toLowerCase()))].filter(isEmail);
  return found.length === 1 ? found[0] : null;
}

/** The one phone number in `text`, as typed, or null. A date (with slashes) is not a phone number. */
function phoneIn(text: string): string | null {
  const found = (text.match(PHONE_IN_TEXT) ?? []).map((p) => p.trim()).filter((p) => isContactPhone(p));
  return found.length === 1 ? found[0] : null;
}

/** Lead-ins people put before a value: "my last name is", "it's", "his username is", "username:". */
const LEAD_IN =
  /^(?:(?:ok|okay|sure|yes|yeah|well|um+|uh+)[,\s]+)?(?:(?:(?:my|his|her|their|the|our)\s+)?(?:first\s*name|last\s*name|family\s*name|surname|given\s*name|user\s*name|login|name|reset\s*token|token|code|user\s*id)\s*(?:is|=|:|'s)\s*|(?:it'?s|it\s+is|i'?m|i\s+am|this\s+is)\s+)/i;

/** The value after a lead-in ("it's Chen" → "Chen"), trailing punctuation dropped. */
function afterLeadIn(text: string): string {
  return text.trim().replace(LEAD_IN, '').replace(/[.!]+$/, '').trim();
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** A date of birth as read: the ISO date, or a two-digit year that must be asked again (never guessed). */
export type DateRead = { iso: string } | { twoDigitYear: true };

function isoDate(y: number, mo: number, d: number, today: Date): string | null {
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  const iso = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (y < 1900 || iso > today.toISOString().slice(0, 10)) return null;
  return iso;
}

/**
 * Reads a date of birth the way people write it, alone or inside a sentence: 2/19/1952, 02-19-1952,
 * 02.19.1952, Feb 19 1952, February 19, 1952, 19 February 1952, 1952-02-19. Numeric dates are month first
 * (US). A two-digit year ("2/19/52") is reported, not guessed. Null when it is not a real past date.
 */
export function readDateOfBirth(text: string, today = new Date()): DateRead | null {
  const t = text.toLowerCase();
  const numeric = /\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})\b/.exec(t);
  if (numeric) {
    if (numeric[3].length === 2) return { twoDigitYear: true };
    const iso = isoDate(Number(numeric[3]), Number(numeric[1]), Number(numeric[2]), today);
    return iso ? { iso } : null;
  }
  const isoForm = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/.exec(t);
  if (isoForm) {
    const iso = isoDate(Number(isoForm[1]), Number(isoForm[2]), Number(isoForm[3]), today);
    return iso ? { iso } : null;
  }
  const month = '(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';
  const monthFirst = new RegExp(`\\b${month}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4}|\\d{2})\\b`).exec(t);
  const dayFirst = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${month},?\\s+(\\d{4}|\\d{2})\\b`).exec(t);
  const parts = monthFirst
    ? { mon: monthFirst[1], day: monthFirst[2], year: monthFirst[3] }
    : dayFirst
      ? { mon: dayFirst[2], day: dayFirst[1], year: dayFirst[3] }
      : null;
  if (!parts) return null;
  if (parts.year.length === 2) return { twoDigitYear: true };
  const iso = isoDate(Number(parts.year), MONTHS.indexOf(parts.mon.slice(0, 3)) + 1, Number(parts.day), today);
  return iso ? { iso } : null;
}

/** Reads a date of birth into `YYYY-MM-DD`; null when it is not a real past date with a four-digit year. */
export function parseDateOfBirth(text: string, today = new Date()): string | null {
  const read = readDateOfBirth(text, today);
  return read && 'iso' in read ? read.iso : null;
}

/** A username alone, or after a lead-in ("my username is jsmith01"). */
function usernameIn(text: string): string | null {
  const t = text.trim();
  if (USERNAME_RULE.check(t)) return t;
  const value = afterLeadIn(t);
  return value !== t && USERNAME_RULE.check(value) ? value : null;
}

/** A name is a few words of letters; a sentence is not a name. */
function nameIn(text: string): string | null {
  const value = afterLeadIn(text);
  return /^[\p{L}][\p{L}\p{M}'’ .-]{0,99}$/u.test(value) && value.split(/\s+/).length <= 4 ? value.replace(/\s+/g, ' ') : null;
}

/**
 * Finds a value of the expected kind in what the patient typed — alone or inside a sentence ("my email is
 * …", "you can call me at 555 867 5309", "it's Chen") — normalised; null when there is none.
 */
export function readAnswer(expect: Expect, text: string): string | null {
  const t = text.trim();
  switch (expect) {
    case 'email':
      return emailIn(t);
    case 'dob':
      return parseDateOfBirth(t);
    case 'username':
      return usernameIn(t);
    case 'login':
      return emailIn(t) ?? usernameIn(t);
    case 'name':
      return nameIn(t);
    case 'contact':
      return emailIn(t) ?? phoneIn(t);
    case 'token': {
      const typed = normaliseTypedToken(afterLeadIn(t));
      return typed.length === PRACTICE_TOKEN_LENGTH && [...typed].every((c) => TYPABLE_ALPHABET.includes(c)) ? afterLeadIn(t) : null;
    }
    default:
      return null;
  }
}

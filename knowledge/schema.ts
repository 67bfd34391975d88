/**
 * The knowledge-base file format (knowledge/faq.json) and its loader.
 *
 * The KB is data so that practice staff can reword an answer without touching code; the schema is strict so a
 * typo in that data fails at start-up with a message that says which entry and which field to fix, instead of
 * surfacing as a wrong answer to a patient.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * How a KB is loaded. The knowledge layer imports nothing else, so what it needs from the rest of the bot
 * comes in as plain values and functions.
 */
export interface KbLoadOptions {
  /**
   * Fills `{{name}}` placeholders in answers and action prompts (the bot passes the practice's name, phone and
   * hours); it throws on an unknown placeholder, and the error is reported with the entry and field. Without it
   * the text is kept as written (the matcher never reads answers).
   */
  fill?: (text: string) => string;
  /** The flows an entry may offer as its `action` (the dialogs' flow registry). Without it, any id-like name. */
  actions?: readonly string[];
}

/** Entries the bot relies on by id (dialogs and tests refer to them); the file must define every one. */
export const REQUIRED_IDS = [
  'enroll',
  'enroll-token-not-working',
  'mobile-access',
  'credential-policy',
  'email-optional',
  'recover-username',
  'recover-username-without-email',
  'change-username',
  'reset-password',
  'reset-password-without-email',
  'account-blocked',
  'handoff',
  'greeting',
  'help',
  'cancel',
  'emergency',
] as const;

const MAX_ANSWER_CHARS = 900;
/** An SMS form fits 3 SMS segments (459 GSM-7 characters) with "Reply MORE for details." after it. */
export const MAX_SMS_CHARS = 400;

const EntrySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and "-" (e.g. "reset-password")'),
    kind: z.enum(['faq', 'intent'], { message: 'must be "faq" or "intent"' }),
    title: z.string().trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters (it is a button label)'),
    questions: z.array(z.string().trim().min(2, 'must not be empty'), { message: 'must be a list of strings' }).min(2, 'must have at least 2 items'),
    keywords: z.array(z.string().trim().min(1, 'must not be empty'), { message: 'must be a list of strings' }).min(1, 'must have at least 1 item'),
    answer: z.string().trim().min(1, 'must not be empty').max(MAX_ANSWER_CHARS, `must be at most ${MAX_ANSWER_CHARS} characters`),
    sms: z.string().trim().min(1, 'must not be empty').max(MAX_SMS_CHARS, `must be at most ${MAX_SMS_CHARS} characters (an SMS form fits 3 segments)`).optional(),
    followUps: z.array(z.string(), { message: 'must be a list of entry ids' }).optional(),
    action: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a flow name such as "reset-password"').optional(),
    actionPrompt: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  })
  .strict();

const OutOfScopeSchema = z
  .object({
    topic: z.string().trim().min(1),
    terms: z.array(z.string().trim().min(1)).min(1, 'must have at least 1 item'),
  })
  .strict();

const UncoveredSchema = z
  .object({
    topic: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and "-" (it is counted as "uncovered:<topic>")'),
    patterns: z.array(z.string().trim().min(2, 'must not be empty'), { message: 'must be a list of phrase patterns' }).min(1, 'must have at least 1 item'),
  })
  .strict();

const FileSchema = z
  .object({
    version: z.literal(1, { message: 'must be 1' }),
    entries: z.array(z.unknown(), { message: 'must be a list' }).min(1, 'must have at least 1 item'),
    emergencyPatterns: z.array(z.string().trim().min(2)).min(1, 'must have at least 1 item'),
    outOfScope: z.array(OutOfScopeSchema),
    uncoveredPortal: z.array(UncoveredSchema).optional(),
  })
  .strict();

export interface KbEntry {
  id: string;
  kind: 'faq' | 'intent';
  /** Short button label (<= 40 characters). */
  title: string;
  /** Alternate phrasings patients use; the matcher indexes these. */
  questions: string[];
  /** Synonyms and key phrases; indexed like short questions. */
  keywords: string[];
  /** Plain text, placeholders already filled; may contain "\n". */
  answer: string;
  /** A short form of a long answer for SMS (<= 400 characters, placeholders filled); "Reply MORE" sends `answer`. */
  sms?: string;
  /** Ids of related entries to offer next (always present, possibly empty). */
  followUps: string[];
  /** A flow the answer offers to perform (a name from the flow registry, checked at load). */
  action?: string;
  /** Question that offers `action` ("Would you like me to …?"), placeholders filled. */
  actionPrompt?: string;
}

/** Words on one subject the bot cannot help with (billing, prescriptions…); the matcher uses them to say "no". */
export interface OutOfScopeTopic {
  topic: string;
  terms: string[];
}

/**
 * A portal question the KB does not answer (someone else's record, verifying an email, the site being down…):
 * the matcher says so instead of guessing an entry, unless the message is clearly about a login problem.
 * `patterns` use the normaliser's phrase syntax ("a|b", "x_y", "~"), as the emergency patterns do.
 */
export interface UncoveredTopic {
  topic: string;
  patterns: string[];
}

export interface KnowledgeBase {
  entries: KbEntry[];
  byId: ReadonlyMap<string, KbEntry>;
  /** Emergency phrase patterns (normaliser phrase syntax: "a|b", "x_y", "~"); checked before anything else. */
  emergencyPatterns: string[];
  outOfScope: OutOfScopeTopic[];
  /** Portal questions the KB knows it cannot answer (possibly empty). */
  uncoveredPortal: UncoveredTopic[];
}

/** A knowledge-base file that cannot be used; the message names the file, the entry and the field. */
export class KnowledgeBaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KnowledgeBaseError';
  }
}

/** Describes an entry for error messages: `entry "reset-password" (#9)`, or just `entry #9` without a usable id. */
function entryLabel(raw: unknown, index: number): string {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.trim() ? `entry "${id}" (#${index + 1})` : `entry #${index + 1}`;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown field (check the spelling)`;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(entry)';
  return `${field}: ${issue.message}`;
}

/** Runs the caller's placeholder filler, reporting its error with the entry and field. */
function filled(text: string, options: KbLoadOptions, where: string): string {
  if (!options.fill) return text;
  try {
    return options.fill(text);
  } catch (err) {
    throw new KnowledgeBaseError(`${where}: ${(err as Error).message}`);
  }
}

function parseEntry(raw: unknown, index: number, source: string, options: KbLoadOptions): KbEntry {
  const label = `${source}: ${entryLabel(raw, index)}`;
  const parsed = EntrySchema.safeParse(raw);
  if (!parsed.success) throw new KnowledgeBaseError(`${label}: ${formatIssue(parsed.error.issues[0])}`);
  const e = parsed.data;
  if (e.actionPrompt && !e.action) throw new KnowledgeBaseError(`${label}: actionPrompt: needs an "action" to offer`);
  if (e.action && options.actions && !options.actions.includes(e.action)) {
    throw new KnowledgeBaseError(`${label}: action: "${e.action}" is not a flow the bot can perform (one of ${options.actions.join(', ')})`);
  }
  return {
    id: e.id,
    kind: e.kind,
    title: e.title,
    questions: e.questions,
    keywords: e.keywords,
    answer: filled(e.answer, options, `${label}: answer`),
    ...(e.sms ? { sms: filled(e.sms, options, `${label}: sms`) } : {}),
    followUps: e.followUps ?? [],
    ...(e.action ? { action: e.action } : {}),
    ...(e.actionPrompt ? { actionPrompt: filled(e.actionPrompt, options, `${label}: actionPrompt`) } : {}),
  };
}

/** Cross-entry rules: unique ids, every required id present, follow-ups that point at real entries. */
function checkEntries(entries: KbEntry[], source: string): void {
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const first = seen.get(e.id);
    if (first !== undefined) throw new KnowledgeBaseError(`${source}: entry "${e.id}" (#${i + 1}): id: duplicates entry #${first + 1}`);
    seen.set(e.id, i);
  });
  const missing = REQUIRED_IDS.filter((id) => !seen.has(id));
  if (missing.length) throw new KnowledgeBaseError(`${source}: entries: missing required id(s) ${missing.map((m) => `"${m}"`).join(', ')}`);
  entries.forEach((e, i) => {
    e.followUps.forEach((f, j) => {
      if (!seen.has(f)) throw new KnowledgeBaseError(`${source}: entry "${e.id}" (#${i + 1}): followUps.${j}: no entry has id "${f}"`);
      if (f === e.id) throw new KnowledgeBaseError(`${source}: entry "${e.id}" (#${i + 1}): followUps.${j}: an entry cannot follow itself`);
    });
  });
}

/**
 * Validates already-parsed KB data. `source` names it in error messages (usually the file path).
 * @throws KnowledgeBaseError naming the entry (id and 1-based position) and the field.
 */
export function parseKnowledgeBase(data: unknown, options: KbLoadOptions = {}, source = 'knowledge base'): KnowledgeBase {
  const file = FileSchema.safeParse(data);
  if (!file.success) throw new KnowledgeBaseError(`${source}: ${formatIssue(file.error.issues[0])}`);
  const entries = file.data.entries.map((raw, i) => parseEntry(raw, i, source, options));
  checkEntries(entries, source);
  return {
    entries,
    byId: new Map(entries.map((e) => [e.id, e])),
    emergencyPatterns: file.data.emergencyPatterns,
    outOfScope: file.data.outOfScope,
    uncoveredPortal: file.data.uncoveredPortal ?? [],
  };
}

/** Shows paths under the working directory as relative ("knowledge/faq.json"), others as given. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * Reads, validates and fills a KB file.
 * @example loadKnowledgeBase(DEFAULT_KB_FILE, { fill: (t) => t.replaceAll('{{practiceName}}', 'Riverside') })
 * @throws KnowledgeBaseError e.g. `knowledge/faq.json: entry "reset-password" (#9): questions: must have at least 2 items`
 */
export function loadKnowledgeBase(file: string = DEFAULT_KB_FILE, options: KbLoadOptions = {}): KnowledgeBase {
  const source = displayPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KnowledgeBaseError(`${source}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new KnowledgeBaseError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  return parseKnowledgeBase(data, options, source);
}

/** The KB shipped with the bot. */
export const DEFAULT_KB_FILE = path.join(__dirname, 'faq.json');

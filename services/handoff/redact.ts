/**
 * Redaction of what a patient types to a staff member, before it is stored in the transcript: email
 * addresses, dates (of birth or otherwise) and tokens are replaced, and anything that looks like a typed
 * password is masked. Practice references (R-…, C-…) stay readable. Same ideas as the unanswered-question
 * redaction (services/insights/misses.ts `redactQuestion`), tuned for a live conversation: phone numbers
 * and plain numbers are kept, since staff may need them to help.
 * @example redactTranscriptText('my password is Sunflower-42! and dob 04/12/1978') // 'my password is [password] and dob [date]'
 */
const EMAIL = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g;
const DATES = [
  /\b\d{1,4}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b/g,
  /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{2,4}\b/gi,
  /\b\d{1,2}(st|nd|rd|th)?\s+(of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*,?\s+\d{2,4}\b/gi,
];
/** After "password is", "pw:", "passcode", "pass =": the next word. */
const PASSWORD_AFTER = /\b(password|passwd|pass ?word|pwd|pw|passcode|pass)(\s*(is|was|=|:)\s*|\s+)(\S+)/gi;
const REFERENCE = /^[RC]-[A-Z0-9]{6}$/;

/** A word that looks like a secret: long and mixing letters with digits or symbols, or a long opaque run. */
function looksSecret(word: string): boolean {
  const w = word.replace(/[.,!?;:]+$/, '');
  if (REFERENCE.test(w) || /^\[[a-z]+\]$/.test(w)) return false;
  if (/^[A-Za-z0-9_-]{20,}$/.test(w) && /\d/.test(w)) return true; // tokens, links' secrets
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(w)).length;
  return w.length >= 8 && classes >= 3 && !/^[\d()+\s.-]+$/.test(w);
}

export function redactTranscriptText(text: string): string {
  let out = text.replace(EMAIL, '[email]');
  for (const re of DATES) out = out.replace(re, '[date]');
  out = out.replace(PASSWORD_AFTER, (_m, word: string, sep: string) => `${word}${sep}[password]`);
  out = out.replace(/https?:\/\/\S+/g, '[link]');
  return out
    .split(/(\s+)/)
    .map((part) => (looksSecret(part) ? '[hidden]' : part))
    .join('');
}

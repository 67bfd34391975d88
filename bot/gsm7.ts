/**
 * GSM-7: the SMS alphabet (3GPP TS 23.038 default alphabet plus its extension table). A message that
 * contains any other character is sent as UCS-2, where a segment holds 70 characters instead of 160, and
 * some handsets show boxes. `toGsm7` rewrites text into GSM-7 before it goes out on SMS:
 *
 * - typographic punctuation becomes its plain form: ‘’ → ', “” → ", – — → -, … → ..., • → -;
 * - every kind of space (no-break, thin, …) becomes a plain space; zero-width characters go;
 * - ✓ ✔ → "OK", ✗ ✘ ✕ → "X", → → "->", © → (c), ™ → (TM), ° → " deg" …;
 * - letters outside the alphabet lose their accents (á → a, ł → l); the ones GSM-7 has (é, ñ, ü, …) stay;
 * - emoji and anything else with no plain form are dropped (and the spaces left around them tidied).
 *
 * @example toGsm7('“You’re set” — ✓ done 🎉') === '"You\'re set" - OK done'
 */

/** The basic GSM-7 alphabet (each 1 septet). */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table (each 2 septets: ESC + char). */
const EXTENDED = '^{}\\[~]|€\f';

const GSM7 = new Set([...BASIC, ...EXTENDED]);

/** True when every character of `text` is in the GSM-7 alphabet (basic or extension). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7.has(ch)) return false;
  return true;
}

/** Plain forms of common characters outside GSM-7. */
const REPLACEMENTS: Record<string, string> = {
  '‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '`': "'", '´': "'",
  '“': '"', '”': '"', '„': '"', '‟': '"', '″': '"', '«': '"', '»': '"', '‹': "'", '›': "'",
  '–': '-', '—': '-', '―': '-', '‒': '-', '‐': '-', '‑': '-', '−': '-',
  '…': '...', '•': '-', '·': '-', '‣': '-', '◦': '-',
  '✓': 'OK', '✔': 'OK', '☑': 'OK', '✅': 'OK', '✗': 'X', '✘': 'X', '✕': 'X', '✖': 'X', '❌': 'X',
  '→': '->', '←': '<-', '⇒': '=>', '©': '(c)', '®': '(R)', '™': '(TM)', '°': ' deg',
  '×': 'x', '÷': '/', '½': '1/2', '¼': '1/4', '¾': '3/4', '¢': 'c', '₹': 'Rs', '¦': '|',
  'ł': 'l', 'Ł': 'L', 'đ': 'd', 'Đ': 'D', 'œ': 'oe', 'Œ': 'OE', 'ı': 'i', 'ç': 'c',
  '\t': ' ', '\u2028': '\n', '\u2029': '\n',
};

/** Every Unicode space separator (no-break, en/em, thin, narrow, ideographic, …) reads as a plain space. */
const SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
/** Zero-width and joiner characters, variation selectors, emoji modifiers and tags: nothing to show. */
const INVISIBLE = /\u200b|\u200c|\u200d|\u2060|\ufeff|\ufe0e|\ufe0f|[\u{1f3fb}-\u{1f3ff}]|[\u{e0000}-\u{e007f}]/gu;

/** Rewrites `text` into GSM-7 characters only (see the module comment). */
export function toGsm7(text: string): string {
  if (isGsm7(text)) return text;
  let out = '';
  let dropped = false;
  for (const ch of text.replace(SPACES, ' ').replace(INVISIBLE, '')) {
    if (GSM7.has(ch)) out += ch;
    else if (Object.hasOwn(REPLACEMENTS, ch)) out += REPLACEMENTS[ch];
    else {
      // An accented letter outside the alphabet: its base letter (NFD splits off the combining marks).
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if (base && [...base].every((c) => GSM7.has(c))) out += base;
      else dropped = true; // emoji, pictographs, other scripts: nothing plain to say instead
    }
  }
  // Tidy the gaps a dropped emoji leaves ("Done 🎉!" → "Done!", "Hi  there" → "Hi there").
  return dropped ? out.replace(/ {2,}/g, ' ').replace(/ +([.,!?;:])/g, '$1').replace(/ +\n/g, '\n').replace(/\n +/g, '\n').trim() : out;
}

/**
 * The one placeholder filler: `{{name}}` in email templates, page templates and knowledge-base answers.
 *
 * Values are passed through `escape` (HTML-escaping for pages and HTML mail; as-is for text), except names
 * listed in `raw` (already-rendered HTML such as a page's content). A placeholder with no value throws:
 * a typo must fail in a test, never reach a patient as a literal "{{resetUrl}}".
 *
 * @example fillTemplate('Call {{practicePhone}}', { practicePhone: '(555) 010-0100' }) // 'Call (555) 010-0100'
 */
export const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/** A template that uses a placeholder nobody fills, or a malformed one. The message says which. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** The placeholder names used in `source`, or an error text if a stray `{{` or `}}` (or `{x}`) is left over. */
export function placeholdersOf(source: string): Set<string> | string {
  const names = new Set<string>();
  for (const m of source.matchAll(PLACEHOLDER)) names.add(m[1]);
  const rest = source.replace(PLACEHOLDER, '');
  const stray = /\{\{|\}\}|\{[A-Za-z][A-Za-z0-9]*\}/.exec(rest);
  if (stray) return `has a malformed placeholder near "${rest.slice(Math.max(0, stray.index - 20), stray.index + 22)}"`;
  return names;
}

/**
 * Checks that every placeholder in `source` is one of `allowed`; returns the names it uses.
 * @throws TemplateError naming `where` and the unknown or malformed placeholder.
 */
export function checkPlaceholders(where: string, source: string, allowed: Iterable<string>): Set<string> {
  const used = placeholdersOf(source);
  if (typeof used === 'string') throw new TemplateError(`${where} ${used}`);
  const known = new Set(allowed);
  const unknown = [...used].filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new TemplateError(
      `${where} uses unknown placeholder(s) ${unknown.map((n) => `{{${n}}}`).join(', ')} (allowed: ${[...known].map((n) => `{{${n}}}`).join(', ') || 'none'})`,
    );
  }
  return used;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface FillOptions {
  /** Applied to every value not in `raw` (default: as-is). */
  escape?: (value: string) => string;
  /** Names whose values are inserted unescaped (pre-rendered HTML). */
  raw?: ReadonlySet<string>;
  /** Also refuse stray braces (`{{`, `}}`, `{name}`): for hand-written data such as KB answers. */
  strict?: boolean;
}

/** Fills every `{{name}}` in `source` from `values`. @throws TemplateError for a name with no value. */
export function fillTemplate(source: string, values: Readonly<Record<string, string>>, options: FillOptions = {}): string {
  const escape = options.escape ?? ((v: string) => v);
  if (options.strict) checkPlaceholders('text', source, Object.keys(values));
  return source.replace(PLACEHOLDER, (_m, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) throw new TemplateError(`unknown placeholder {{${name}}}`);
    return options.raw?.has(name) ? value : escape(value);
  });
}

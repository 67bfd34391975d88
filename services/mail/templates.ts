/**
 * Email templates, kept as data in `templates/` and checked when they are loaded.
 *
 * Each template is a folder `templates/<name>/` holding `template.json` (description, subject and the data
 * fields it needs), `text.txt` and `html.html`. Every message is wrapped in the shared frame
 * `templates/_layout/layout.txt|html`, which brands it with the practice's name, phone and hours.
 *
 * Placeholders are `{{name}}`. In the HTML body every value is HTML-escaped; in the subject and the text
 * body values are inserted as they are. A placeholder the template does not declare is an error when the
 * templates are loaded; a declared field missing from the data (or a field nobody declared) is an error when
 * a message is rendered — so a typo fails loudly in a test instead of mailing a patient "{{resetUrl}}".
 *
 * @example
 *   const templates = loadTemplates();
 *   renderTemplate(templates, 'reset-link', { resetUrl: 'https://…/reset?token=…', minutes: '30' }, brand);
 *   // → { subject: 'Reset your Riverside Family Practice portal password', text: '…', html: '…' }
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { escapeHtml, fillTemplate, placeholdersOf, TemplateError } from '../text/template';

export { escapeHtml, TemplateError };

/** Every template the bot can send. `templates/` must hold exactly one folder for each. */
export const TEMPLATE_NAMES = [
  'username-reminder',
  'reset-link',
  'password-changed',
  'enrollment-token',
  'practice-request',
  'request-received',
  'practice-request-summary',
  'mail-failed',
  'enroll-invitation',
  'verify-email',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Placeholders every template may use; filled from config, never from the caller. */
export interface Brand {
  practiceName: string;
  practicePhone: string;
  practiceHours: string;
}
const BRAND_FIELDS: ReadonlyArray<keyof Brand> = ['practiceName', 'practicePhone', 'practiceHours'];
/** Extra placeholders only the layout may use: the rendered body and the subject. */
const LAYOUT_FIELDS = ['content', 'subject'] as const;

export const DEFAULT_TEMPLATES_DIR = path.join(__dirname, 'templates');

const FieldName = z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'field names are camelCase letters and digits');

/** `template.json`. A field of kind `url` must be an absolute http(s) URL when rendered. */
export const TemplateFileSchema = z.strictObject({
  description: z.string().trim().min(1),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((s) => !/[\r\n]/.test(s), 'must be one line'),
  fields: z.record(FieldName, z.enum(['text', 'url'])),
});
export type TemplateFile = z.infer<typeof TemplateFileSchema>;

export interface Template extends TemplateFile {
  name: TemplateName;
  text: string;
  html: string;
}

export interface Templates {
  byName: ReadonlyMap<TemplateName, Template>;
  layout: { text: string; html: string };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

function readRequired(file: string): string {
  if (!fs.existsSync(file)) throw new TemplateError(`missing template file ${file}`);
  const content = fs.readFileSync(file, 'utf8');
  if (content.trim() === '') throw new TemplateError(`template file ${file} is empty`);
  return content;
}

/** Checks that every placeholder in `source` is one of `allowed`; returns the names it uses. */
function checkPlaceholders(where: string, source: string, allowed: ReadonlySet<string>): Set<string> {
  const used = placeholdersOf(source);
  if (typeof used === 'string') throw new TemplateError(`${where} ${used}`);
  const unknown = [...used].filter((n) => !allowed.has(n));
  if (unknown.length > 0) {
    throw new TemplateError(
      `${where} uses undeclared placeholder(s) ${unknown.map((n) => `{{${n}}}`).join(', ')}; ` +
        `declare them in "fields" of template.json or fix the spelling`,
    );
  }
  return used;
}

/**
 * Reads and validates every template (zod for `template.json`, placeholder checks for the bodies).
 * @throws TemplateError naming the file and the problem.
 */
export function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Templates {
  const layoutAllowed = new Set<string>([...BRAND_FIELDS, ...LAYOUT_FIELDS]);
  const layout = {
    text: readRequired(path.join(dir, '_layout', 'layout.txt')),
    html: readRequired(path.join(dir, '_layout', 'layout.html')),
  };
  for (const [kind, source] of Object.entries(layout)) {
    const used = checkPlaceholders(`_layout/layout.${kind}`, source, layoutAllowed);
    if (!used.has('content')) throw new TemplateError(`_layout/layout.${kind} must contain {{content}}`);
  }

  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    .map((d) => d.name);
  const extra = folders.filter((f) => !(TEMPLATE_NAMES as readonly string[]).includes(f));
  if (extra.length > 0) {
    throw new TemplateError(`unknown template folder(s) ${extra.join(', ')} in ${dir}; add the name to TEMPLATE_NAMES or remove it`);
  }

  const byName = new Map<TemplateName, Template>();
  for (const name of TEMPLATE_NAMES) {
    const folder = path.join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readRequired(path.join(folder, 'template.json')));
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError(`${name}/template.json is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = TemplateFileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      throw new TemplateError(`${name}/template.json is invalid: ${problems.join('; ')}`);
    }
    const file = parsed.data;
    const clash = Object.keys(file.fields).filter((f) => (BRAND_FIELDS as readonly string[]).includes(f) || f === 'content');
    if (clash.length > 0) throw new TemplateError(`${name}/template.json: ${clash.join(', ')} are filled in from config; do not declare them`);

    const template: Template = {
      name,
      ...file,
      text: readRequired(path.join(folder, 'text.txt')),
      html: readRequired(path.join(folder, 'html.html')),
    };
    const allowed = new Set<string>([...BRAND_FIELDS, ...Object.keys(file.fields)]);
    const used = new Set<string>();
    for (const [part, source] of [
      ['subject', template.subject],
      ['text.txt', template.text],
      ['html.html', template.html],
    ] as const) {
      for (const n of checkPlaceholders(`${name}/${part}`, source, allowed)) used.add(n);
    }
    const unused = Object.keys(file.fields).filter((f) => !used.has(f));
    if (unused.length > 0) throw new TemplateError(`${name}/template.json declares field(s) ${unused.join(', ')} that no body uses`);
    byName.set(name, template);
  }
  return { byName, layout };
}

function fill(source: string, values: Record<string, string>, escape: (v: string) => string, raw?: ReadonlySet<string>): string {
  return fillTemplate(source, values, { escape, raw });
}

/** Checks `data` against the template's declared fields: all present, none extra, URLs well formed. */
function checkData(template: Template, data: Record<string, string>): void {
  const declared = Object.keys(template.fields);
  const missing = declared.filter((f) => typeof data[f] !== 'string' || data[f].trim() === '');
  if (missing.length > 0) throw new TemplateError(`template ${template.name} needs data field(s): ${missing.join(', ')}`);
  const unknown = Object.keys(data).filter((f) => !declared.includes(f));
  if (unknown.length > 0) {
    throw new TemplateError(`template ${template.name} does not use data field(s): ${unknown.join(', ')} (it takes: ${declared.join(', ') || 'none'})`);
  }
  for (const [field, kind] of Object.entries(template.fields)) {
    if (kind !== 'url') continue;
    let ok: boolean;
    try {
      ok = ['http:', 'https:'].includes(new URL(data[field]).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new TemplateError(`template ${template.name}: ${field} must be an absolute http(s) URL`);
  }
}

/**
 * Renders one message: subject and text body as given, HTML body escaped, both wrapped in the layout.
 * @throws TemplateError when `data` lacks a declared field, has an undeclared one, or a URL field is not http(s).
 */
export function renderTemplate(templates: Templates, name: TemplateName, data: Record<string, string>, brand: Brand): RenderedMail {
  const template = templates.byName.get(name);
  if (!template) throw new TemplateError(`unknown template "${name}"; known: ${[...templates.byName.keys()].join(', ')}`);
  checkData(template, data);
  const values: Record<string, string> = { ...data, ...brand };
  const asIs = (v: string) => v;
  // A subject is one header line whatever the data holds.
  const subject = fill(template.subject, values, asIs).replace(/[\r\n]+/g, ' ').trim();
  const text = fill(templates.layout.text, { ...brand, subject, content: fill(template.text, values, asIs).trim() }, asIs);
  const html = fill(
    templates.layout.html,
    { ...brand, subject, content: fill(template.html, values, escapeHtml).trim() },
    escapeHtml,
    new Set(['content']),
  );
  return { subject, text, html };
}

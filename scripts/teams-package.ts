/**
 * `npm run teams:package [-- --out FILE]`: the Microsoft Teams app package (a zip to upload in Teams or the
 * Developer Portal). Fills teams/manifest.template.json from configuration (TEAMS_APP_ID or MicrosoftAppId,
 * PRACTICE_NAME, WEBCHAT_BRAND_COLOR, PRACTICE_WEBSITE_URL / PRIVACY_URL / TERMS_URL), draws the two icons
 * (color.png 192×192 in the brand colour, outline.png 32×32 white on transparent), validates the manifest
 * against teams/manifest.schema.json with ajv and the icons' sizes, and writes teams/build/<name>.zip.
 * Exit 1 with every problem named when something is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import AdmZip from 'adm-zip';
import Ajv from 'ajv';
import { ConfigError, loadConfig, type Config } from '../services/config';

const ROOT = path.join(__dirname, '..');

/** CRC-32 (PNG chunks). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An RGBA PNG of `size`×`size` whose pixel (x, y) is `pixel(x, y)` → [r, g, b, a]. */
export function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x += 1) Buffer.from(pixel(x, y)).copy(raw, y * (size * 4 + 1) + 1 + x * 4);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Width and height of a PNG (from its IHDR). */
export function pngSize(buf: Buffer): { width: number; height: number } {
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** A speech bubble: inside a rounded rectangle plus a tail, in a size×size box. */
function inBubble(x: number, y: number, size: number): boolean {
  const m = size * 0.18;
  const [l, t, r, b] = [m, m, size - m, size - m * 1.6];
  const inRect = x >= l && x <= r && y >= t && y <= b;
  const tail = y > b && y < b + m * 0.9 && x > l + m * 0.4 && x < l + m * 0.4 + (b + m * 0.9 - y);
  return inRect || tail;
}

export function icons(brandColor: string): { color: Buffer; outline: Buffer } {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(brandColor.slice(i, i + 2), 16));
  const color = png(192, (x, y) => (inBubble(x, y, 192) ? [255, 255, 255, 255] : [r, g, b, 255]));
  const outline = png(32, (x, y) => (inBubble(x, y, 32) ? [255, 255, 255, 255] : [0, 0, 0, 0]));
  return { color, outline };
}

/** The filled manifest, or the problems that stop it. */
export function buildManifest(config: Config): { manifest: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const appId = config.channels.teams.appId;
  const botId = config.microsoft.appId;
  if (!botId) problems.push('MicrosoftAppId: the Azure Bot app id is required for a Teams package');
  const shortName = `${config.practice.name}`.slice(0, 30);
  const values: Record<string, string> = {
    teamsAppId: appId ?? '',
    botId,
    practiceName: config.practice.name,
    practiceNameShort: config.practice.name.slice(0, 32),
    appShortName: shortName,
    appFullName: `${config.practice.name} portal help`.slice(0, 100),
    websiteUrl: config.channels.teams.websiteUrl,
    privacyUrl: config.channels.teams.privacyUrl,
    termsUrl: config.channels.teams.termsUrl,
    accentColor: config.channels.webchat.brandColor,
  };
  const template = fs.readFileSync(path.join(ROOT, 'teams', 'manifest.template.json'), 'utf8');
  const filled = template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => JSON.stringify(values[name] ?? '').slice(1, -1));
  const manifest = JSON.parse(filled) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'teams', 'manifest.schema.json'), 'utf8')) as object;
  const validate = ajv.compile(schema);
  if (!validate(manifest)) {
    for (const e of validate.errors ?? []) problems.push(`manifest${e.instancePath || ''}: ${e.message ?? 'invalid'}`);
  }
  return { manifest, problems };
}

/** Builds and writes the package; returns its path. */
export function writeTeamsPackage(config: Config, out: string): string {
  const { manifest, problems } = buildManifest(config);
  const { color, outline } = icons(config.channels.webchat.brandColor);
  const c = pngSize(color);
  const o = pngSize(outline);
  if (c.width !== 192 || c.height !== 192) problems.push('color.png must be 192x192');
  if (o.width !== 32 || o.height !== 32) problems.push('outline.png must be 32x32');
  if (problems.length) throw new ConfigError(problems);
  const zip = new AdmZip();
  zip.addFile('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)));
  zip.addFile('color.png', color);
  zip.addFile('outline.png', outline);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  zip.writeZip(out);
  return out;
}

if (require.main === module) {
  const outArg = process.argv.indexOf('--out');
  const out = path.resolve(outArg > 0 ? process.argv[outArg + 1] : path.join(ROOT, 'teams', 'build', 'portal-help-teams-app.zip'));
  try {
    const written = writeTeamsPackage(loadConfig(), out);
    process.stdout.write(`teams:package: wrote ${path.relative(process.cwd(), written)} (manifest valid, icons 192x192 and 32x32)\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

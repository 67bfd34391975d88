/**
 * `npm run teams:package`: run as the operator runs it (a child process with the environment), then the zip is
 * opened and checked: a manifest valid against teams/manifest.schema.json (ajv) with the bot id, names and scopes
 * from config, and icons of 192×192 and 32×32 (the outline white on transparent). A missing app id is refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import AdmZip from 'adm-zip';
import Ajv from 'ajv';

const ROOT = path.join(__dirname, '..', '..');
const APP_ID = '11111111-2222-3333-4444-555555555555';
const env = {
  ...process.env,
  NODE_ENV: 'test',
  MicrosoftAppId: APP_ID,
  MicrosoftAppPassword: 'not-used-here',
  SERVER_SECRET: 'teams-package-test-secret-0123456789abcdef',
  PUBLIC_BASE_URL: 'https://help.lakeside.test',
  PRACTICE_NAME: 'Lakeside Clinic',
  WEBCHAT_BRAND_COLOR: '#0b5cab',
};

/** RGBA pixels of a non-interlaced 8-bit RGBA PNG with filter 0 rows (what the script writes). */
function pixels(png: Buffer): { width: number; height: number; at(x: number, y: number): number[] } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  let idat = Buffer.alloc(0);
  for (let i = 8; i < png.length; ) {
    const len = png.readUInt32BE(i);
    const type = png.toString('ascii', i + 4, i + 8);
    if (type === 'IDAT') idat = Buffer.concat([idat, png.subarray(i + 8, i + 8 + len)]);
    i += 12 + len;
  }
  const raw = zlib.inflateSync(idat);
  return { width, height, at: (x, y) => [...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 5 + x * 4)] };
}

it('writes a schema-valid zip with config values and correctly sized icons', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'teams-pkg-')), 'app.zip');
  const started = Date.now();
  execFileSync('npx', ['tsx', 'scripts/teams-package.ts', '--out', out], { cwd: ROOT, env, stdio: 'pipe' });
  const ms = Date.now() - started;
  const zip = new AdmZip(out);
  expect(zip.getEntries().map((e) => e.entryName).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
  const manifest = JSON.parse(zip.readAsText('manifest.json')) as {
    id: string; manifestVersion: string; name: { short: string }; accentColor: string; bots: Array<{ botId: string; scopes: string[]; supportsFiles: boolean }>;
  };
  const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'teams', 'manifest.schema.json'), 'utf8')) as object);
  expect(validate(manifest) ? [] : validate.errors).toEqual([]);
  expect(manifest.id).toBe(APP_ID);
  expect(manifest.bots[0].botId).toBe(APP_ID);
  expect(manifest.bots[0].scopes.sort()).toEqual(['personal', 'team']);
  expect(manifest.bots[0].supportsFiles).toBe(false);
  expect(manifest.name.short).toBe('Lakeside Clinic');
  expect(manifest.accentColor).toBe('#0b5cab');

  const color = pixels(zip.readFile('color.png')!);
  expect([color.width, color.height]).toEqual([192, 192]);
  expect(color.at(0, 0)).toEqual([0x0b, 0x5c, 0xab, 255]);
  const outline = pixels(zip.readFile('outline.png')!);
  expect([outline.width, outline.height]).toEqual([32, 32]);
  for (let y = 0; y < 32; y += 1) {
    for (let x = 0; x < 32; x += 1) {
      const [r, g, b, a] = outline.at(x, y);
      expect(a === 0 || (r === 255 && g === 255 && b === 255 && a === 255)).toBe(true); // white or transparent only
    }
  }
  expect(outline.at(0, 0)[3]).toBe(0);
  process.stdout.write(`teams:package took ${ms} ms\n`);
}, 60000);

it('refuses to build without the bot app id, naming it', () => {
  const r = spawnSync('npx', ['tsx', 'scripts/teams-package.ts', '--out', path.join(os.tmpdir(), 'never.zip')], {
    cwd: ROOT,
    env: { ...env, MicrosoftAppId: '', MicrosoftAppPassword: '' },
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/MicrosoftAppId/);
}, 60000);

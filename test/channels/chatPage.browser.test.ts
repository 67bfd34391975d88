/**
 * The website chat page in a real browser (Debian's Chromium via playwright-core, headless), against the real
 * host, its development Direct Line, real Redis (db 8) and a real SMTP server: the welcome on open, an FAQ
 * answer, a suggested action pressed, username recovery to the captured email, no CSP violations, an
 * axe-core scan with no serious or critical violations, and a screenshot (os.tmpdir()/chat-page.png).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { BOT_BUBBLES, botTexts, CHROMIUM, CHROMIUM_ARGS, requireChromium, sendInWebChat, waitForBot } from '../helpers/browser';

/** The browser globals the page functions use (this project compiles without the DOM lib). */
type PageWindow = {
  document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
  axe: { run(context: unknown, options: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> }> };
};

const DEMO_FILE = path.join(__dirname, '..', '..', 'demo', 'accounts.json');

let host: TestHost;
let smtp: TestSmtp;
let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  requireChromium();
  smtp = await startTestSmtp();
  const port = await freePort();
  host = await startHost('chatpage', 8, {
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'warn',
    PRACTICE_NAME: 'Lakeside Clinic',
  });
  await host.app.services.directory.importPatients(JSON.parse(fs.readFileSync(DEMO_FILE, 'utf8')));
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-browser-'));
  // A fresh profile, no network beyond the test host (no component updates, sync or background fetches).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 420, height: 800 },
  });
}, 60000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await host?.stop();
  await smtp?.stop();
});

it('welcomes, answers, takes a button and recovers a username by email; accessible; strict CSP', async () => {
  const page = await context.newPage();
  const cspErrors: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(host.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
  });

  const started = Date.now();
  await page.goto(`${host.url}/chat`);
  expect(await page.textContent('h1')).toContain('Lakeside Clinic');
  expect(await page.textContent('.privacy')).toMatch(/don't share medical details/i);
  const welcome = await waitForBot(page, /Lakeside Clinic|portal/i);
  const welcomeMs = Date.now() - started;
  expect(welcome.length).toBeGreaterThan(0);
  expect(await page.locator('.webchat__upload-button').count()).toBe(0); // upload hidden

  // An FAQ question.
  let from = await sendInWebChat(page, 'how do I get the portal on my phone');
  await waitForBot(page, /app|mobile|phone/i, from);

  // A suggested action: the patient presses the first button offered.
  from = (await botTexts(page)).length;
  const button = page.locator('.webchat__suggested-action').first();
  await button.waitFor({ timeout: 10_000 });
  await button.click();
  await page.waitForFunction(({ n, selector }) => (globalThis as unknown as PageWindow).document.querySelectorAll(selector).length > n, { n: from, selector: BOT_BUBBLES }, { timeout: 15_000 });

  // Username recovery to the captured email.
  from = await sendInWebChat(page, 'I forgot my username');
  await waitForBot(page, /username/i, from);
  from = await sendInWebChat(page, 'yes');
  await waitForBot(page, /verified email address/i, from);
  const since = smtp.messages.length;
  from = await sendInWebChat(page, 'maria.gonzalez@example.com');
  const done = await waitForBot(page, /we.ve sent the username/i, from);
  expect(done).not.toMatch(/mgonzalez78/);
  const mail = await smtp.waitFor((m) => smtp.messages.indexOf(m) >= since && (m.to ? JSON.stringify(m.to) : '').includes('maria.gonzalez@example.com'), 15_000);
  expect(mail.text).toContain('mgonzalez78');

  // Accessibility: axe-core injected from the installed package (never a CDN).
  // Evaluated through the DevTools protocol: the page's CSP rightly refuses an injected <script>.
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const axe = (await page.evaluate(async () => {
    const w = globalThis as unknown as PageWindow;
    const r = await w.axe.run(w.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  })) as Array<{ id: string; impact: string; help: string; nodes: number }>;
  const serious = axe.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious).toEqual([]);

  const shot = path.join(os.tmpdir(), 'chat-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  expect(fs.statSync(shot).size).toBeGreaterThan(1000);
  expect(cspErrors).toEqual([]);
  expect(external).toEqual([]);
  process.stdout.write(`chat page: welcome shown ${welcomeMs} ms after navigation; screenshot ${shot}\n`);
  await page.close();
}, 90000);

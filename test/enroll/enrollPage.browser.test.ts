/**
 * The create-account page in a real browser (Debian's Chromium driven by playwright-core): the live username
 * check and ✗→✓ password checklist, no CSP violations, axe-core clean, and a submit that creates the account.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Browser } from 'playwright-core';
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { launchChromium, requireChromium } from '../helpers/browser';


let host: TestHost;
let browser: Browser;

beforeAll(async () => {
  requireChromium();
  const port = await freePort();
  host = await startHost('enroll-browser', 15, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
  await host.app.services.directory.importPatients({
    patients: [
      { id: 'E-1', firstName: 'Eve', lastName: 'Park', dateOfBirth: '1988-08-08' },
      {
        id: 'E-2',
        firstName: 'Taken',
        lastName: 'Name',
        dateOfBirth: '1970-01-01',
        account: {
          username: 'existing-user',
          password: 'Initial#Pass123',
          securityQuestions: [
            { question: 'What was the name of your first pet?', answer: 'Rex' },
            { question: 'In what city were you born?', answer: 'Boston' },
          ],
        },
      },
    ],
  });
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

/** Runs in the page: whether the live username status shows `text`. */
const statusIncludes = (text: string) =>
  ((globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document.getElementById('username-status')?.textContent ?? '').includes(text);

it('checks the username and ticks the rules live, is axe-clean, and creates the account on submit', async () => {
  const { token } = await host.app.services.tokens.issueEnrollLink('E-1', { ttlSeconds: 900 });
  const page = await browser.newPage();
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(`${host.url}/enroll?token=${encodeURIComponent(token)}`);
  const state = (rule: string) => page.getAttribute(`#rules li[data-rule="${rule}"]`, 'class');

  await page.fill('#username', 'EXISTING-USER');
  await page.waitForFunction(statusIncludes, 'Not available');
  await page.fill('#username', 'eve-park-88');
  await page.waitForFunction(statusIncludes, '\u2713 Available');

  expect(await state('length')).toBe('bad');
  await page.fill('#password', 'Orchard#Bloom2040');
  for (const rule of ['length', 'upper', 'lower', 'number', 'special']) expect(await state(rule)).toBe('ok');
  expect(await state('match')).toBe('bad');
  await page.fill('#confirm', 'Orchard#Bloom2040');
  expect(await state('match')).toBe('ok');
  await page.selectOption('#q1', 'What was your first job?');
  await page.fill('#a0', 'Rex');
  await page.fill('#a1', 'Lifeguard');

  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = (await page.evaluate(async () => {
    const w = globalThis as unknown as { axe: { run(c: unknown, o: object): Promise<{ violations: Array<{ id: string; impact: string }> }> }; document: unknown };
    const r = await w.axe.run(w.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact }));
  })) as Array<{ id: string; impact: string }>;
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  await page.screenshot({ path: `${os.tmpdir()}/enroll-page.png`, fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(await page.textContent('h1')).toBe('Account created');
  expect(cspErrors).toEqual([]);
  expect(await host.app.services.directory.verifyPassword('Eve-Park-88', 'Orchard#Bloom2040')).toBe(true);
  await page.close();
});

/**
 * The reset page in a real browser (Debian's Chromium driven by playwright-core): the live ✗→✓
 * checklist, no CSP violations, and a successful submit that really changes the stored password.
 */
import os from 'node:os';
import type { Browser } from 'playwright-core';
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { launchChromium, requireChromium } from '../helpers/browser';

const USERNAME = 'browser-user-1';

let host: TestHost;
let browser: Browser;

beforeAll(async () => {
  requireChromium();
  const port = await freePort();
  host = await startHost('browser', 15, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
  await host.app.services.directory.importPatients({
    patients: [
      {
        id: 'B-1',
        firstName: 'Test',
        lastName: 'Brown',
        dateOfBirth: '1980-01-01',
        account: {
          username: USERNAME,
          password: 'Initial#Pass123',
          verifiedEmail: 'browser@example.test',
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

it('ticks the rules live as the patient types and changes the password on submit', async () => {
  const { token } = await host.app.services.tokens.issueResetLink(USERNAME, { ttlSeconds: 600, via: 'email' });
  const page = await browser.newPage();
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(`${host.url}/reset?token=${token}`);
  const state = (rule: string) => page.getAttribute(`#rules li[data-rule="${rule}"]`, 'class');

  expect(await state('length')).toBe('bad');
  await page.fill('#password', 'abc');
  expect(await state('lower')).toBe('ok');
  expect(await state('length')).toBe('bad');
  expect(await state('upper')).toBe('bad');

  await page.fill('#password', 'Meadow#Lark2031');
  for (const rule of ['length', 'upper', 'lower', 'number', 'special', 'no-edge-space']) expect(await state(rule)).toBe('ok');
  expect(await state('match')).toBe('bad');
  await page.fill('#confirm', 'Meadow#Lark2031');
  expect(await state('match')).toBe('ok');
  expect(await page.textContent(`#rules li[data-rule="match"] .mark`)).toBe('✓');
  await page.screenshot({ path: `${os.tmpdir()}/reset-page.png`, fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(await page.textContent('h1')).toBe('Password changed');
  expect(cspErrors).toEqual([]);
  expect(await host.app.services.directory.verifyPassword(USERNAME, 'Meadow#Lark2031')).toBe(true);
  await page.close();
});

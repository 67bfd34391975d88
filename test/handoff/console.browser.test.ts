/**
 * Live handoff in a real browser (Debian's Chromium via playwright-core, headless, fresh profile), against the
 * real host, its development Direct Line and real Redis (db 7): a patient on `/chat` asks for a person; a staff
 * member (added with `admin staff:add`, in-process) signs in on `/staff` in a second page, claims and replies;
 * the patient sees the reply and answers; the staff page shows it live (server-sent events); staff returns the
 * conversation to the bot; the patient's next FAQ question is the bot's again. No CSP violations on either page;
 * screenshots in os.tmpdir() (handoff-patient.png, handoff-staff.png).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { botTexts, launchChromium, requireChromium, sendInWebChat, waitForBot } from '../helpers/browser';

const STAFF_PASSWORD = 'a-long-staff-password';

let host: TestHost;
let browser: Browser;
let patientContext: BrowserContext;
let staffContext: BrowserContext;

beforeAll(async () => {
  requireChromium();
  const port = await freePort();
  // startHost keeps PRACTICE_HOURS open every day, all day.
  host = await startHost('handoff-browser', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', PRACTICE_NAME: 'Lakeside Clinic' });

  // The staff account, made the way an operator makes it: `admin staff:add`, password on stdin.
  const out: string[] = [];
  const services = { ...host.app.services, staff: host.app.handoff.staff } as unknown as AdminServices;
  const code = await runAdmin(['staff:add', 'dana.k', '--role', 'agent', '--name', 'Dana'], services, {
    out: (l) => void out.push(l),
    err: (l) => void out.push(l),
    readStdin: async () => `${STAFF_PASSWORD}\n`,
  });
  expect({ code, out }).toEqual({ code: 0, out: expect.any(Array) });

  // chromium.launch starts from a fresh, temporary user-data-dir of its own (removed on close).
  browser = await launchChromium();
  // Two contexts: the patient and the staff member share no cookies.
  patientContext = await browser.newContext({ viewport: { width: 420, height: 800 } });
  staffContext = await browser.newContext({ viewport: { width: 1100, height: 800 } });
}, 60000);

afterAll(async () => {
  await patientContext?.close();
  await staffContext?.close();
  await browser?.close();
  await host?.stop();
});

function watchCsp(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) into.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => into.push(`${page.url()}: ${e.message}`));
}

it('patient on /chat ↔ staff on /staff: queue, claim, reply both ways, return to the bot', async () => {
  const problems: string[] = [];
  const patient = await patientContext.newPage();
  const staff = await staffContext.newPage();
  watchCsp(patient, problems);
  watchCsp(staff, problems);

  // Staff signs in first (signing in marks them online; with nobody online the patient gets the callback offer).
  await staff.goto(`${host.url}/staff`);
  await staff.fill('#username', 'dana.k');
  await staff.fill('#password', STAFF_PASSWORD);
  await staff.click('#signin button[type="submit"]');
  await staff.locator('#console').waitFor({ state: 'visible', timeout: 10_000 });
  expect(await staff.textContent('#me')).toContain('Dana');
  await staff.locator('#queue li', { hasText: 'Nobody is waiting' }).waitFor({ timeout: 10_000 });

  // The patient asks for a person and hears their position.
  await patient.goto(`${host.url}/chat`);
  await waitForBot(patient, /Lakeside Clinic|portal/i);
  let from = await sendInWebChat(patient, 'talk to a person');
  expect(await waitForBot(patient, /number \d+ in the queue/, from)).toMatch(/wait is about \d+ minutes?/);

  // The staff page's queue updates live (SSE `queued`); claim.
  const claim = staff.locator('#queue li', { hasText: 'directline' }).getByRole('button', { name: 'Claim' });
  await claim.waitFor({ timeout: 10_000 });
  await claim.click();
  await staff.locator('#reply').waitFor({ state: 'visible', timeout: 10_000 });
  expect(await staff.textContent('#conv-title')).toMatch(/Conversation /);
  await waitForBot(patient, /talking with Dana/, from);
  // It is listed among the conversations with staff, as Dana's.
  await staff.locator('#active li.mine', { hasText: 'with you' }).waitFor({ timeout: 10_000 });

  // Staff → patient (proactively, over the Direct Line the page polls/streams).
  from = (await botTexts(patient)).length;
  await staff.fill('#reply-text', 'Hi, this is Dana. How can I help?');
  await staff.click('#reply button[type="submit"]');
  await waitForBot(patient, /Hi, this is Dana\. How can I help\?/, from);
  expect(await staff.inputValue('#reply-text')).toBe('');

  // Patient → staff: shown live on the staff page; the bot stays silent.
  const botCount = (await botTexts(patient)).length;
  await sendInWebChat(patient, 'I cannot see my lab results');
  await staff.locator('#transcript li.patient', { hasText: 'I cannot see my lab results' }).waitFor({ timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 500));
  expect((await botTexts(patient)).length).toBe(botCount);

  // The invite form answers in the page (an unknown patient id is refused, nothing is sent).
  await staff.fill('#invite-patient', 'P-NOBODY');
  await staff.click('#invite button[type="submit"]');
  await staff.locator('#invite-result', { hasText: 'Not sent.' }).waitFor({ timeout: 10_000 });

  const staffShot = path.join(os.tmpdir(), 'handoff-staff.png');
  await staff.screenshot({ path: staffShot, fullPage: true });

  // Return to the bot: the patient is told, and the next FAQ question is answered by the bot.
  from = (await botTexts(patient)).length;
  await staff.click('#return');
  await staff.locator('#reply').waitFor({ state: 'hidden', timeout: 10_000 });
  expect(await staff.textContent('#conv-title')).toMatch(/returned/) // from the click or the SSE `closed` event, whichever lands last;
  await waitForBot(patient, /handed you back to the portal assistant/, from);
  from = await sendInWebChat(patient, 'how do I reset my password');
  expect(await waitForBot(patient, /password/i, from)).not.toMatch(/queue|Dana/);

  const patientShot = path.join(os.tmpdir(), 'handoff-patient.png');
  await patient.screenshot({ path: patientShot, fullPage: true });
  expect(fs.statSync(staffShot).size).toBeGreaterThan(1000);
  expect(fs.statSync(patientShot).size).toBeGreaterThan(1000);
  expect(problems).toEqual([]);
  process.stdout.write(`handoff in the browser: screenshots ${patientShot}, ${staffShot}\n`);
  await patient.close();
  await staff.close();
}, 120000);

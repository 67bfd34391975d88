/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded browser). The flags
 * keep it off the network: without them it tries to reach Google's hosts, which this machine refuses.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Fails with what to install when Chromium is missing. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
}

/** A headless Chromium with a fresh temporary profile (removed on close). */
export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The browser globals the page functions use (this project compiles without the DOM lib). */
type PageDocument = { document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> } };

/** The bot's bubbles in Web Chat (`/chat`). */
export const BOT_BUBBLES = '.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content';

/** The text of every bot bubble so far. */
export async function botTexts(page: Page): Promise<string[]> {
  return page.$$eval(BOT_BUBBLES, (els) => els.map((e) => e.textContent ?? ''));
}

/** Waits for a bot bubble matching `re` among those after the first `from`; fails naming what the bot said. */
export async function waitForBot(page: Page, re: RegExp, from = 0): Promise<string> {
  const handle = await page
    .waitForFunction(
      ({ source, flags, from: start, selector }) => {
        const texts = Array.from((globalThis as unknown as PageDocument).document.querySelectorAll(selector)).map((e) => e.textContent ?? '');
        return texts.slice(start).find((t) => new RegExp(source, flags).test(t)) ?? null;
      },
      { source: re.source, flags: re.flags, from, selector: BOT_BUBBLES },
      { timeout: 15_000 },
    )
    .catch(async (err: Error) => {
      throw new Error(`${err.message}: no bot message matching ${re} after #${from}; bot said: ${JSON.stringify(await botTexts(page))}`);
    });
  return (await handle.jsonValue()) as string;
}

/** Types `text` into Web Chat's send box and sends it; returns how many bot bubbles there were before. */
export async function sendInWebChat(page: Page, text: string): Promise<number> {
  const before = (await botTexts(page)).length;
  const box = page.locator('[data-id="webchat-sendbox-input"], .webchat__send-box-text-box__input').first();
  await box.fill(text);
  await box.press('Enter');
  return before;
}

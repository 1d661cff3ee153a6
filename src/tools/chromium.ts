/**
 * Debian's chromium driven by playwright-core (never a downloaded browser), for the browser tests and
 * `npm run screenshots`. Playwright gives every launch a fresh temporary --user-data-dir and removes it on close.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_MISSING = `${CHROMIUM_PATH} is not installed: apt-get install chromium (CI installs it in .ci/run)`;

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  // Loaded here so that requiring this module never fails where playwright-core is not installed.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

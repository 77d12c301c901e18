/**
 * A real headless Chromium for the dashboard's browser tests and its screenshots: Debian's
 * `chromium` (apt-get install chromium; CHROMIUM_PATH to use another) driven by playwright-core.
 * Launched with a fresh profile and with everything that would reach Google switched off — this
 * machine's network is closed, and a test must not wait on it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium to drive, or undefined (the browser tests then skip, saying so). */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? given : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

export const NO_CHROMIUM = `no Chromium at ${CANDIDATES.join(', ')} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

export interface Browser {
  /** A new tab signed in with `token` (none: signed out) at `path`; its console errors and failed requests are kept. */
  open(baseUrl: string, path: string, token?: string): Promise<Tab>;
  close(): Promise<void>;
}

export interface Tab {
  readonly page: Page;
  /** Console errors, uncaught page errors and failed requests seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string, viewport = { width: 1360, height: 900 }): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'swl-chromium-'));
  let context: BrowserContext;
  try {
    // Chromium's own temporary files (.org.chromium.Chromium.*) go into the profile, removed with it.
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: FLAGS,
      viewport,
      locale: 'ru-RU',
      timezoneId: 'Asia/Almaty',
      env: { ...process.env, TMPDIR: profile },
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    async open(baseUrl, path, token) {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
      // The token goes where the sign-in form puts it: this tab's sessionStorage, set before the page's scripts run.
      if (token) await page.addInitScript({ content: `sessionStorage.setItem('swl-dashboard-token', ${JSON.stringify(token)});` });
      await page.goto(`${baseUrl}${path}`);
      return { page, problems, close: () => page.close() };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Where the browser tests leave a screenshot of every page they visit (gitignored). */
export const SCREENSHOTS =
  process.env.AUDITFLOW_SCREENSHOTS ??
  fileURLToPath(new URL('../../../.auditflow/screenshots/console/', import.meta.url));

/** Debian's chromium (scripts/bootstrap.sh installs it); never a downloaded browser. */
export function chromiumPath(): string {
  const configured = process.env.AUDITFLOW_CHROMIUM;
  if (configured) return configured;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: run scripts/bootstrap.sh (apt-get install chromium)');
  }
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI containers has no user namespace for the sandbox; /dev/shm is small there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  // The window as a person sees it (1280×800 or narrower), not the whole scrolled page.
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) as `${string}.png` });
}

/** The texts of every element matching the selector. */
export function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));
}

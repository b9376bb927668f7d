import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import puppeteer from 'puppeteer-core';

/** Where the browser is: AUDITFLOW_CHROMIUM, else Debian's `chromium` on the PATH (scripts/bootstrap.sh installs it). */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AUDITFLOW_CHROMIUM) return env.AUDITFLOW_CHROMIUM;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    'AUDITFLOW_CHROMIUM: no chromium on the PATH; install it (scripts/bootstrap.sh, apt-get install chromium) or set AUDITFLOW_CHROMIUM to its path',
  );
}

/**
 * The HTML report printed to PDF by headless Chromium (puppeteer-core drives the browser the
 * machine has; nothing is downloaded). The document is self-contained, so the page needs no
 * network: requests are refused, which also keeps a hostile value from fetching anything.
 */
export async function htmlToPdf(
  html: string,
  options: { title: string; env?: NodeJS.ProcessEnv },
): Promise<Buffer> {
  const browser = await puppeteer.launch({
    executablePath: chromiumExecutable(options.env),
    headless: true,
    // A loaded machine starts a browser slowly; the defaults (30 s, 180 s) are for idle ones.
    timeout: 120_000,
    protocolTimeout: 600_000,
    // Root in CI containers has no user namespace for the sandbox; /dev/shm is small there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.url().startsWith('data:')) void request.continue();
      else void request.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: '18mm', bottom: '18mm', left: '14mm', right: '14mm' },
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: `<div style="font-size:8px;width:100%;text-align:center;color:#666">${options.title
        .replaceAll('&', '&amp;')
        .replaceAll(
          '<',
          '&lt;',
        )} — page <span class="pageNumber"></span> of <span class="totalPages"></span></div>`,
    });
    return Buffer.from(pdf);
  } finally {
    await browser.close();
  }
}

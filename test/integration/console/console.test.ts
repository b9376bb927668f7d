import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitEvents } from '../../support/emit.ts';
import { launchBrowser, screenshot, texts } from './browser.ts';
import {
  ACME_HOST,
  type ConsoleStack,
  FULL_SESSION,
  GLOBEX_EVENT,
  mintViewerToken,
  OPERATOR_ID,
  REDACTED_EVENT,
  REDACTED_FINGERPRINT,
  startConsoleStack,
} from './fixtures.ts';

const WAIT = { timeout: 30_000 };

// Browser globals, used only inside page.evaluate/waitForFunction callbacks (they run in the
// page); the test program itself has no DOM library.
// biome-ignore lint/suspicious/noExplicitAny: the page's own document, typed there.
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: as above.
declare const location: any;

/**
 * The console in headless Chromium (Debian's, driven by puppeteer-core) against the real query
 * API, Elasticsearch, Kafka and streamer, as a tenant viewer would use it embedded in a host
 * product: search, paging, an event, a session, the overview, live events, export, and a URL
 * edited to reach another tenant. Screenshots of each page land in SCREENSHOTS.
 */
describe('audit console in Chromium under a viewer token', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;
  let token: string;

  const rows = () => page.$$eval('table.results tbody tr', (trs) => trs.length);
  const heading = async (text: string) =>
    page.waitForFunction((t) => document.querySelector('main h1')?.textContent?.startsWith(t), WAIT, text);
  const loaded = () => page.waitForFunction(() => !document.body.textContent?.includes('Loading…'), WAIT);

  beforeAll(async () => {
    stack = await startConsoleStack('console');
    const served = await fetch(`${stack.url}/console`);
    // `pnpm build` (npm test runs it first) builds the console into consumers/console/dist.
    if (served.status !== 200)
      throw new Error(`GET /console answered ${served.status}: ${await served.text()}`);
    const res = await mintViewerToken(stack.url, ACME_HOST, { tenant: 'acme', viewer: 'embedded-user' });
    token = ((await res.json()) as { token: string }).token;
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('searches within the tenant, with the query in the URL and cursor paging', async () => {
    await page.goto(`${stack.url}/console#token=${token}`);
    await page.waitForSelector('table.results tbody tr', WAIT);
    // The token left the address bar: a copied link never carries it.
    expect(page.url()).toBe(`${stack.url}/console`);
    expect(await page.$eval('.scope', (e) => e.textContent)).toContain('tenant acme');
    expect(await rows()).toBe(50);
    expect(new Set(await texts(page, 'table.results tbody td:nth-child(6)'))).toEqual(new Set(['acme']));
    // The operator's action is there, the operator is not.
    expect(await texts(page, 'table.results td.actor')).toContain('an administrator');
    expect(await page.content()).not.toContain(OPERATOR_ID);
    await screenshot(page, 'search');

    const first = await page.$$eval('table.results tbody a', (as) => as.map((a) => a.getAttribute('href')));
    await page.click('nav.pager a');
    await page.waitForFunction(
      () => document.querySelector('caption')?.textContent?.startsWith('Page 2'),
      WAIT,
    );
    const second = await page.$$eval('table.results tbody a', (as) => as.map((a) => a.getAttribute('href')));
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((h) => first.includes(h))).toEqual([]);
    expect(page.url()).toContain('cursor=');
    await screenshot(page, 'search-page-2');

    await page.goto(`${stack.url}/console/search`);
    await page.waitForSelector('form.filters input[name=action]', WAIT);
    await page.type('form.filters input[name=action]', 'agent.flow.*');
    await page.select('form.filters select[name=outcome]', 'failure');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => location.search.includes('action=agent.flow.*'), WAIT);
    // The URL changes before the new results arrive, and 'Loading…' may not show yet: wait for
    // the filtered rows themselves (a CI run under load read the previous page's rows).
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('table.results tbody td:nth-child(2)')];
      return cells.length > 0 && cells.every((c) => c.textContent === 'agent.flow.failed');
    }, WAIT);
    await loaded();
    expect(page.url()).toContain('outcome=failure');
    const actions = await texts(page, 'table.results tbody td:nth-child(2)');
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['agent.flow.failed']));
    // Back to an unfiltered search: the form shows the URL's query, not the previous one.
    await page.click('header nav a[href="/console/search"]');
    await page.waitForFunction(() => location.search === '', WAIT);
    // As above: the unfiltered page's rows, not the filtered ones still shown (12 of them, once).
    await page.waitForFunction(() => document.querySelectorAll('table.results tbody tr').length === 50, WAIT);
    await loaded();
    expect(
      await page.$eval('form.filters input[name=action]', (e) => (e as unknown as { value: string }).value),
    ).toBe('');
    expect(await rows()).toBe(50);
  });

  it('opens an event: every field, redaction markers as markers, the fingerprint, trace and session links', async () => {
    await page.goto(`${stack.url}/console/search`);
    await page.waitForSelector(`table.results a[href$="${REDACTED_EVENT}"]`, WAIT);
    await page.click(`table.results a[href$="${REDACTED_EVENT}"]`);
    await heading('Event');
    await page.waitForSelector('table.fields', WAIT);
    expect(await texts(page, 'mark.redacted')).toEqual(['redacted: gitlab-pat', 'redacted: gitlab-pat']);
    expect(await page.$eval('code.fingerprint', (e) => e.textContent)).toBe(REDACTED_FINGERPRINT);
    expect(await texts(page, 'table.fields th')).toEqual(
      expect.arrayContaining(['@timestamp', 'event.id', 'event.action', 'user.id', 'organization.id']),
    );
    const links = await page.$$eval('dl.summary a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['/console/trace/corr-redacted-1', '/console/session/corr-redacted-1']);
    await screenshot(page, 'event');
  });

  it('lists sessions and shows one as an ordered timeline with what it touched and how it ended', async () => {
    await page.click('header nav a[href="/console/sessions"]');
    await heading('Sessions');
    await page.waitForSelector(`table.results a[href="/console/session/${FULL_SESSION}"]`, WAIT);
    const statuses = await texts(page, 'table.results .badge');
    expect(statuses).toEqual(expect.arrayContaining(['completed', 'failed']));
    await screenshot(page, 'sessions');
    await page.click(`table.results a[href="/console/session/${FULL_SESSION}"]`);
    await heading('Session');
    await page.waitForSelector('ol.timeline li', WAIT);
    expect(await texts(page, 'ol.timeline li a')).toEqual([
      'agent.flow.started',
      'agent.tool.invoked',
      'gitlab.api.post_mr_note',
      'git.push',
      'agent.flow.completed',
    ]);
    expect(await texts(page, 'ol.timeline li .kind')).toEqual([
      'lifecycle',
      'tool call',
      'API call',
      'API call',
      'lifecycle',
    ]);
    expect(await page.$eval('dl.summary .badge', (e) => e.textContent)).toBe('completed');
    const objects = (await texts(page, 'ul.objects li')).join('\n');
    expect(objects).toMatch(/note note-5/);
    expect(objects).toMatch(/commit c0ffee1/);
    expect(objects).toMatch(/merge_request 42/);
    await screenshot(page, 'session');
  });

  it('shows the overview as charts', async () => {
    await page.click('header nav a[href="/console/overview"]');
    await heading('Overview');
    await page.waitForSelector('.chart canvas', WAIT);
    const captions = await texts(page, 'figure.bars figcaption');
    expect(captions).toEqual(['Top actors', 'Top actions', 'Exports and other reads of the log']);
    expect((await texts(page, '.bar-name')).length).toBeGreaterThan(5);
    expect(await page.content()).not.toContain(OPERATOR_ID);
    await screenshot(page, 'overview');
  });

  it('shows live events of the tenant only, operators masked, and resumes after a pause without a gap', async () => {
    await page.click('header nav a[href="/console/live"]');
    await heading('Live');
    await page.waitForSelector('[data-status="live"]', WAIT);
    const live = (n: number, extra: object = {}) => ({
      action: `console.live.e${n}`,
      actor: { type: 'user' as const, id: `live-user-${n}` },
      outcome: 'success' as const,
      tenant_id: 'acme',
      service: { name: 'console-test' },
      ...extra,
    });
    await emitEvents(stack.streamTopic, [
      live(1),
      live(2, { tenant_id: 'globex' }),
      live(3, { actor: { type: 'user', id: OPERATOR_ID } }),
    ]);
    await page.waitForFunction(() => document.querySelectorAll('ol.live li').length >= 2, WAIT);
    await page.click('.toolbar button[aria-pressed]');
    await page.waitForFunction(() => document.querySelector('[data-status^="paused at"]'), WAIT);
    await emitEvents(stack.streamTopic, [live(4), live(5)]);
    await page.click('.toolbar button[aria-pressed]');
    await page.waitForFunction(() => document.querySelectorAll('ol.live li').length >= 4, WAIT);
    const shown = await texts(page, 'ol.live li strong');
    // Newest first; e2 (globex) never, none twice, the two sent during the pause delivered.
    expect([...shown].sort()).toEqual([
      'console.live.e1',
      'console.live.e3',
      'console.live.e4',
      'console.live.e5',
    ]);
    const operatorRow = (await texts(page, 'ol.live li')).find((t) => t.includes('console.live.e3'));
    expect(operatorRow).toContain('an administrator');
    expect(operatorRow).not.toContain(OPERATOR_ID);
    await screenshot(page, 'live');
  });

  it('exports the current query as CSV through the audited export', async () => {
    await page.goto(`${stack.url}/console/search?action=git.push`);
    await page.waitForSelector('table.results tbody tr', WAIT);
    const exportButton = await page.$$('.toolbar button');
    await exportButton[0]?.click();
    await page.waitForFunction(
      () => document.querySelector('.toolbar [role=status]')?.textContent?.startsWith('Exported CSV'),
      WAIT,
    );
  });

  it('cannot reach another tenant by editing the URL', async () => {
    await page.goto(`${stack.url}/console/search?tenant_id=globex`);
    await page.waitForSelector('[role=alert]', WAIT);
    expect(await page.$eval('[role=alert]', (e) => e.textContent)).toContain('403 tenant_forbidden');
    await screenshot(page, 'forbidden');
    await page.goto(`${stack.url}/console/event/${GLOBEX_EVENT}`);
    await page.waitForSelector('[role=alert]', WAIT);
    expect(await page.$eval('[role=alert]', (e) => e.textContent)).toContain('404');
    await page.goto(`${stack.url}/console/trace/globex-secret-session`);
    await page.waitForSelector('dl.summary', WAIT);
    expect(await page.$$('ol.timeline li')).toHaveLength(0);
    expect(await page.$eval('dl.summary', (e) => e.textContent)).toContain('no lifecycle events');
  });

  it('is keyboard navigable and readable on a narrow window, also inside an iframe', async () => {
    await page.goto(`${stack.url}/console/search`);
    await page.waitForSelector('table.results tbody tr', WAIT);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    let onResult = false;
    for (let i = 0; i < 60 && !onResult; i++) {
      await page.keyboard.press('Tab');
      onResult = await page.evaluate(() => Boolean(document.activeElement?.closest('table.results tbody a')));
    }
    expect(onResult).toBe(true);
    await page.keyboard.press('Enter');
    await heading('Event');

    await page.setViewport({ width: 390, height: 800 });
    await page.goto(`${stack.url}/console/search`);
    await page.waitForSelector('table.results tbody tr', WAIT);
    // Only the results table scrolls sideways; the page itself fits the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'search-narrow');
    await page.setViewport({ width: 1280, height: 800 });

    const host = await browser.newPage();
    await host.setViewport({ width: 1280, height: 800 });
    await host.setContent(
      `<h1>Host product</h1><iframe src="${stack.url}/console#token=${token}" width="1200" height="700"></iframe>`,
    );
    const frame = await (await host.waitForSelector('iframe', WAIT))?.contentFrame();
    await frame?.waitForSelector('table.results tbody tr', WAIT);
    expect(await frame?.$eval('.scope', (e) => e.textContent)).toContain('tenant acme');
    await screenshot(host, 'embedded');
    await host.close();
  });
});

import type { Count } from '../model.ts';
import { printable } from './view.ts';

/**
 * Charts as inline SVG written here: the report is one self-contained file (no script, no CDN),
 * and prints the same in headless Chromium. Every text from events is escaped.
 */

export const escapeXml = (text: string): string =>
  printable(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

export const OUTCOME_COLOURS: Readonly<Record<string, string>> = {
  success: '#2e7d32',
  failure: '#c62828',
  denied: '#ef6c00',
  unknown: '#757575',
};

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Horizontal bars, one per value, longest first as given. */
export function barChart(counts: readonly Count[], title: string, colour = '#1565c0'): string {
  const rows = counts.slice(0, 20);
  const width = 640;
  const label = 180;
  const bar = 22;
  const height = 30 + rows.length * (bar + 6);
  const max = Math.max(1, ...rows.map((r) => r.count));
  const plot = width - label - 70;
  const bars = rows
    .map((r, n) => {
      const y = 24 + n * (bar + 6);
      const w = Math.max(1, Math.round((r.count / max) * plot));
      return (
        `<text x="${label - 6}" y="${y + 15}" text-anchor="end" font-size="12">${escapeXml(shorten(r.key, 28))}</text>` +
        `<rect x="${label}" y="${y}" width="${w}" height="${bar}" fill="${colour}"/>` +
        `<text x="${label + w + 6}" y="${y + 15}" font-size="12">${r.count.toLocaleString('en-US')}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="0" y="14" font-size="13" font-weight="bold">${escapeXml(title)}</text>${bars}</svg>`
  );
}

/** Columns per time bucket, stacked by outcome, with a legend. */
export function stackedColumns(
  buckets: readonly { start: string; total: number; byOutcome: Record<string, number> }[],
  title: string,
): string {
  const width = 640;
  const height = 240;
  const left = 50;
  const top = 30;
  const plotH = 160;
  const plotW = width - left - 10;
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const step = buckets.length === 0 ? plotW : plotW / buckets.length;
  const columnW = Math.max(1, Math.min(40, step * 0.8));
  const outcomes = Object.keys(OUTCOME_COLOURS);
  const columns = buckets
    .map((b, n) => {
      let y = top + plotH;
      const x = left + n * step + (step - columnW) / 2;
      return outcomes
        .map((o) => {
          const v = b.byOutcome[o] ?? 0;
          if (v === 0) return '';
          const h = (v / max) * plotH;
          y -= h;
          return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${columnW.toFixed(1)}" height="${h.toFixed(1)}" fill="${OUTCOME_COLOURS[o]}"><title>${escapeXml(`${b.start}: ${v} ${o}`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const first = buckets[0]?.start ?? '';
  const last = buckets.at(-1)?.start ?? '';
  const legend = outcomes
    .map(
      (o, n) =>
        `<rect x="${left + n * 90}" y="${height - 16}" width="10" height="10" fill="${OUTCOME_COLOURS[o]}"/><text x="${left + n * 90 + 14}" y="${height - 7}" font-size="11">${o}</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="0" y="14" font-size="13" font-weight="bold">${escapeXml(title)}</text>` +
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#999"/>` +
    `<text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="11">${max.toLocaleString('en-US')}</text>` +
    `<text x="${left - 6}" y="${top + plotH}" text-anchor="end" font-size="11">0</text>` +
    columns +
    `<text x="${left}" y="${top + plotH + 16}" font-size="11">${escapeXml(first)}</text>` +
    `<text x="${width - 10}" y="${top + plotH + 16}" text-anchor="end" font-size="11">${escapeXml(last)}</text>` +
    `${legend}</svg>`
  );
}

/** One bar split into the complete share and the rest. */
export function shareBar(share: number, title: string): string {
  const width = 640;
  const w = Math.round(Math.min(1, Math.max(0, share)) * (width - 2));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="44" viewBox="0 0 ${width} 44" font-family="sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="0" y="14" font-size="13" font-weight="bold">${escapeXml(title)}</text>` +
    `<rect x="1" y="20" width="${width - 2}" height="20" fill="#c62828"/>` +
    `<rect x="1" y="20" width="${w}" height="20" fill="#2e7d32"/></svg>`
  );
}

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.tsx';
import { splitMarkers } from './markers.ts';
import type { Doc } from './timeline.ts';

export const fmtTime = (iso: string | undefined): string =>
  iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';

export const fmtDuration = (ms: number | undefined): string => {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
};

export const actorOf = (d: Doc): string => d?.user?.name ?? d?.user?.id ?? '–';
export const targetOf = (d: Doc): string =>
  d?.audit?.target ? `${d.audit.target.type ?? ''}:${d.audit.target.name ?? d.audit.target.id ?? ''}` : '–';

export function Outcome(props: { value: string | undefined }) {
  const value = props.value ?? 'unknown';
  return <span class={`badge outcome-${value}`}>{value}</span>;
}

/** Text with redaction markers shown as markers (which rule), not as values. */
export function Redacted(props: { text: string }) {
  return (
    <>
      {splitMarkers(props.text).map((p, i) =>
        'rule' in p ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: pieces of one string, in order.
          <mark key={i} class="redacted" title={`redacted by rule ${p.rule}${p.fingerprint ? `, fingerprint ${p.fingerprint}` : ''}`}>
            redacted: {p.rule}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: pieces of one string, in order.
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  );
}

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: ApiError | Error } | { state: 'ok'; value: T };

/** Runs `load` whenever `key` changes; the latest answer wins. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: key names everything load reads.
  useEffect(() => {
    let live = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => live && setResult({ state: 'ok', value }),
      (error: Error) => live && setResult({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return result;
}

export function Status<T>(props: { of: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const r = props.of;
  if (r.state === 'loading') return <p class="muted" aria-live="polite">Loading…</p>;
  if (r.state === 'error')
    return (
      <p class="error" role="alert">
        {r.error instanceof ApiError ? `${r.error.status} ${r.error.code}: ` : ''}
        {r.error.message}
      </p>
    );
  return <>{props.children(r.value)}</>;
}

/** A horizontal bar chart for top-N lists (plain elements: readable, and scales to narrow windows). */
export function Bars(props: { label: string; rows: { name: string; value: number }[] }) {
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  return (
    <figure class="bars" aria-label={props.label}>
      <figcaption>{props.label}</figcaption>
      {props.rows.length === 0 && <p class="muted">none</p>}
      {props.rows.map((r) => (
        <div class="bar-row" key={r.name}>
          <span class="bar-name" title={r.name}>
            {r.name}
          </span>
          <span class="bar" style={{ width: `${(r.value / max) * 100}%` }} />
          <span class="bar-value">{r.value}</span>
        </div>
      ))}
    </figure>
  );
}

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { getJson, type Whoami } from './api.tsx';
import { filtersFrom, intervalFor, queryString, withDefaults } from './filters.ts';
import { useLocation } from './router.tsx';
import { FilteredPage } from './search.tsx';
import { Bars, Status, useLoad } from './ui.tsx';

interface Summary {
  total: number;
  failure_rate: number;
  denial_rate: number;
  by_outcome: Record<string, number>;
  over_time: { time: string; total: number; by_outcome: Record<string, number> }[];
  by_action: { action: string; total: number }[];
  top_actors: { actor: string; total: number }[];
  reads: Record<string, number>;
}

const SERIES = [
  { key: 'total', label: 'all', stroke: '#2f5d8a' },
  { key: 'failure', label: 'failure', stroke: '#b3261e' },
  { key: 'denied', label: 'denied', stroke: '#8a5a00' },
] as const;

/** Counts over time as a line chart (uPlot: small, canvas, no runtime dependencies). */
function OverTime(props: { points: Summary['over_time'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.points.map((p) => Date.parse(p.time) / 1000);
    const data: uPlot.AlignedData = [
      xs,
      ...SERIES.map((s) => props.points.map((p) => (s.key === 'total' ? p.total : (p.by_outcome[s.key] ?? 0)))),
    ];
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
        axes: [{}, { label: 'events' }],
      },
      data,
      el,
    );
    const onResize = () => plot.setSize({ width: width(), height: 240 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [props.points]);
  return <div ref={box} class="chart" role="img" aria-label="Events over time by outcome" />;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function OverviewPage(props: { who: Whoami }) {
  const loc = useLocation();
  const filters = withDefaults(filtersFrom(loc.search));
  const result = useLoad(loc.search, () =>
    getJson<Summary>(`/v1/summary${queryString(filters, { interval: intervalFor(filters.from) })}`, 'overview'),
  );
  return (
    <FilteredPage title="Overview" route="/overview" who={props.who} filters={filters}>
      <Status of={result}>
        {(s) => (
          <>
            <div class="tiles">
              <div class="tile">
                <span class="tile-value">{s.total}</span> events
              </div>
              <div class="tile">
                <span class="tile-value">{pct(s.failure_rate)}</span> failed or denied
              </div>
              <div class="tile">
                <span class="tile-value">{pct(s.denial_rate)}</span> denied
              </div>
              <div class="tile">
                <span class="tile-value">{Object.values(s.reads).reduce((a, b) => a + b, 0)}</span> reads of the log
              </div>
            </div>
            <OverTime points={s.over_time} />
            <div class="bar-grid">
              <Bars label="Top actors" rows={s.top_actors.map((a) => ({ name: a.actor, value: a.total }))} />
              <Bars label="Top actions" rows={s.by_action.slice(0, 10).map((a) => ({ name: a.action, value: a.total }))} />
              <Bars
                label="Exports and other reads of the log"
                rows={Object.entries(s.reads).map(([name, value]) => ({ name, value }))}
              />
            </div>
          </>
        )}
      </Status>
    </FilteredPage>
  );
}

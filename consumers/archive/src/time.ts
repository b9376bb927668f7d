/**
 * A point in time from the command line: ISO 8601, `now`, or an age such as `15m`, `24h`, `7d`
 * (that long ago). Errors name the option and the accepted forms.
 */
export function parseWhen(value: string, option: string, now = Date.now()): number {
  if (value === 'now') return now;
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(age[1]) * unit;
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new Error(
      `${option}: '${value}' is not a time; give ISO 8601 (2026-11-24T10:00:00Z), now, or an age like 24h or 7d`,
    );
  }
  return at;
}

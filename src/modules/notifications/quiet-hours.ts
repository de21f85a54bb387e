/**
 * Quiet hours by the recipient's time zone: a pure function of the time, so tests move it with
 * freezeClock. The window may cross midnight (22:00–08:00, the default) or not (13:00–15:00).
 */

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock minutes and seconds of `at` in `timeZone` (a bad zone falls back to UTC). */
function localTime(at: Date, timeZone: string): { minutes: number; seconds: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      f = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    }
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return { minutes: Number(parts.hour) * 60 + Number(parts.minute), seconds: Number(parts.second) };
}

/**
 * When quiet hours end, if `at` falls inside them in `timeZone`; null when it does not. The end
 * is computed in wall-clock minutes from now, so on the night a zone changes its offset the
 * release may be an hour early or late: harmless for a held notification.
 */
export function quietUntil(at: Date, timeZone: string, window: { start: string; end: string }): Date | null {
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  if (start === end) return null;
  const { minutes: now, seconds } = localTime(at, timeZone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const minutesLeft = (end - now + 1440) % 1440;
  return new Date(at.getTime() + minutesLeft * 60_000 - seconds * 1000 - at.getMilliseconds());
}

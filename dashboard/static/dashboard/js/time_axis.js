// The time axis of every history chart (timeline, Service page): it starts at the first reading
// (or the range's start) and ends now, never in the future, with UTC labels that say the day.

export const SECOND = 1000;
export const LABEL_SIZE = 12; // px: the smallest text on the pages

// Time labels in UTC, as every time on the pages, and never a bare day number: "Dec 4" at a
// day's start, "14:00" within a day, "14:00:05" within a minute.
export const TIME_LABELS = {
  year: "{yyyy}",
  month: "{MMM} {yyyy}",
  day: "{MMM} {d}",
  hour: "{HH}:{mm}",
  minute: "{HH}:{mm}",
  second: "{HH}:{mm}:{ss}",
  millisecond: "{HH}:{mm}:{ss}",
};

// From the oldest reading (or `start`, when that is later) to now (or the newest reading, when
// this browser's clock is behind the server's); one second wide at the least.
export function axisBounds(oldest, newest, start = null, now = Date.now()) {
  const max = Math.max(now, newest);
  const min = start !== null && oldest < start ? start : oldest;
  return { min, max: max > min ? max : min + SECOND };
}

// Number and text formatting shared by every page, so a figure reads the same everywhere.

export const FLOW_COLOURS = { local: "#2f855a", zone: "#d97706", region: "#c81e1e" };

const usdFormat = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const smallUsdFormat = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 });

export function pct(fraction, digits = 1) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "–";
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function usd(value) {
  if (value === null || value === undefined) return "–";
  return Math.abs(value) < 1 && value !== 0 ? smallUsdFormat.format(value) : usdFormat.format(value);
}

export function perGb(value) {
  return value === null || value === undefined ? "–" : `$${Number(value).toFixed(4)}/GB`;
}

export function times(value, digits = 2) {
  return value === null || value === undefined ? "–" : `${Number(value).toFixed(digits)}×`;
}

export function count(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");
}

export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

// How long before `now` (a time in ms or an ISO text; default: this moment), as format.py's ago.
export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const base = typeof now === "string" ? new Date(now).getTime() : now;
  const seconds = Math.max(0, (base - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// --- where a traffic volume came from (dashboard/pages/format.py says it the same way) ---------

export const NO_TRAFFIC = "no traffic measured";
const SIMULATED_WORDS = "simulated (demo model, not measured)";
const SOURCE_WORDS = { manual: "set by hand", measured: "measured", simulated: "simulated" };

// A traffic volume: 1,234 GB, 12.5 GB, 0.3 GB (whole GB from 100, else one decimal).
export function gb(value) {
  if (value === null || value === undefined) return "–";
  if (Math.abs(value) >= 100) return `${Math.round(value).toLocaleString("en-US")} GB`;
  const tenths = Math.round(value * 10);
  const text =
    tenths % 10 === 0
      ? (tenths / 10).toLocaleString("en-US")
      : (tenths / 10).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return `${text} GB`;
}

// A volume's source in a word or two, for a table cell's label.
export function sourceWord(source) {
  return source ? SOURCE_WORDS[source] ?? source : NO_TRAFFIC;
}

// Where a volume came from, in words: "measured (Prometheus ..., rate over 7d, 12 min ago)",
// "simulated (demo model, not measured)", "set by hand (finance sheet, 2 d ago)".
export function volumeLabel(source, detail, at, now = Date.now()) {
  if (!source) return NO_TRAFFIC;
  if (source === "simulated") return SIMULATED_WORDS;
  const age = at ? ago(at, now) : "";
  let parts;
  if (source === "measured") parts = [detail || "", age];
  else if (source === "manual") parts = [detail && detail !== SOURCE_WORDS.manual ? detail : "", age];
  else return source;
  const said = parts.filter(Boolean).join(", ");
  return said ? `${SOURCE_WORDS[source]} (${said})` : SOURCE_WORDS[source];
}

// Which Services a monthly total covers, from the flow map's `volumes`: "from 11 measured /
// 1 manual Services, fetched 12 min ago"; "no traffic measured" when none.
export function volumesSummary(volumes, now = Date.now()) {
  const v = volumes || {};
  const counts = ["measured", "simulated", "manual"].map((kind) => [v[kind] || 0, kind]);
  const parts = counts.filter(([n]) => n).map(([n, kind]) => `${count(n)} ${kind}`);
  if (!parts.length) return NO_TRAFFIC;
  const total = counts.reduce((sum, [n]) => sum + n, 0);
  let text = `from ${parts.join(" / ")} Service${total === 1 ? "" : "s"}`;
  if ((counts[0][0] || counts[1][0]) && v.fetchedAt) text += `, fetched ${ago(v.fetchedAt, now)}`;
  if (counts[1][0]) text += " (simulated: the demo model, not measured)";
  return text;
}

// The headline of a failing traffic source (its API `status`): "Traffic volumes stale since
// <when>", or "Traffic volumes never fetched"; "" while it is not failing.
export function staleSince(status) {
  if (!status || status.state !== "failing") return "";
  return status.staleSince ? `Traffic volumes stale since ${when(status.staleSince)}` : "Traffic volumes never fetched";
}

// "#rrggbb" or "#rgb" as [r, g, b]; null for anything else.
export function rgbOf(hex) {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex).trim());
  if (!m) return null;
  const digits = m[1].length === 3 ? [...m[1]].map((d) => d + d) : m[1].match(/../g);
  return digits.map((d) => parseInt(d, 16));
}

// A colour for a share in [0, 1] on a scale from `from` (the table's background: white, or the
// dark palette's surface) to the flow's colour (heatmap cells). The page passes its palette's
// colours (js/theme.js); the defaults are the light palette's.
export function heat(fraction, crossing, from = "#ffffff", to = crossing ? FLOW_COLOURS.zone : FLOW_COLOURS.local) {
  const a = rgbOf(from) || [255, 255, 255];
  const b = rgbOf(to) || rgbOf(crossing ? FLOW_COLOURS.zone : FLOW_COLOURS.local);
  const t = Math.max(0, Math.min(1, fraction));
  const mix = (i) => Math.round(a[i] + (b[i] - a[i]) * (0.12 + 0.88 * t));
  return `rgb(${[0, 1, 2].map(mix).join(",")})`;
}

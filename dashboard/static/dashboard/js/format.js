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

export function ago(iso) {
  if (!iso) return "never";
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// A colour for a share in [0, 1] on a white-to-colour scale (heatmap cells).
export function heat(fraction, crossing) {
  const base = crossing ? [217, 119, 6] : [47, 133, 90];
  const t = Math.max(0, Math.min(1, fraction));
  const mix = (c) => Math.round(255 + (c - 255) * (0.12 + 0.88 * t));
  return `rgb(${base.map(mix).join(",")})`;
}

// The zone topology picture: one box per region holding one box per zone, and an arrow for each
// zone-to-zone flow of the flow map, drawn as inline SVG with exact, testable geometry.
//
// Zones sit in one row (wide containers) or one column (narrow ones), grouped by region. A flow
// from an earlier zone to a later one runs above the row (right of the column), the other way
// below (left of it); longer hops run further out, so arcs sharing a box nest, not cross.
// An arrow's stroke width is WIDTH_PER_SHARE px per unit of client-traffic share (at least
// MIN_WIDTH px); flows under MIN_SHARE are not drawn. Traffic that stays in its zone is written
// inside the zone's box. Redrawing the same zones updates arrows in place, so their widths
// animate (a CSS transition on stroke-width).
//
// Text never renders under MIN_TEXT_PX: where the picture is drawn smaller than its own size (a
// phone, many zones) its text is set larger by the same factor (`--text-scale` on the svg,
// css/topology.css sizes every text in em of it) and the boxes grow taller to hold it.
// Each zone box is a link to the Services page filtered to the Services with endpoints in that
// zone, which also lists the zone's nodes (click, or Enter on the focused box).

import { svg } from "./dom.js";
import { count, pct } from "./format.js";

export const WIDTH_PER_SHARE = 60; // px of stroke per 100% of client traffic
export const MIN_WIDTH = 1;
export const MIN_SHARE = 0.005;
export const UNKNOWN_ZONE = "unknown";
export const MIN_TEXT_PX = 12;

export function strokeWidth(share) {
  return Math.round(Math.max(MIN_WIDTH, share * WIDTH_PER_SHARE) * 100) / 100;
}

// What a flow between two zones crosses: "local", "zone", "region" or "unknown" (a zone-less
// node is never counted as crossing, as the engine counts it).
export function crossing(src, dst, regionOf) {
  if (src === dst) return "local";
  if (src === UNKNOWN_ZONE || dst === UNKNOWN_ZONE) return "unknown";
  const a = regionOf.get(src);
  const b = regionOf.get(dst);
  return a && b && a !== b ? "region" : "zone";
}

// The boxes to draw: the flow map's zones, plus any zone only its matrix names (e.g. unknown),
// grouped by region (regions by name, zones without a region last) and by name within one.
export function zonesOf(flowmap) {
  const byName = new Map();
  for (const zone of flowmap.zones || []) byName.set(zone.zone, { ...zone });
  for (const [src, row] of Object.entries(flowmap.matrix || {})) {
    for (const name of [src, ...Object.keys(row)]) {
      if (!byName.has(name)) {
        byName.set(name, { zone: name, region: null, nodes: null, readyNodes: null, readyEndpoints: null, clientWeight: null });
      }
    }
  }
  const weight = new Map((flowmap.bySourceZone || []).map((s) => [s.zone, s]));
  const zones = [...byName.values()].map((z) => ({
    ...z,
    region: z.region ?? null,
    sameZone: weight.get(z.zone)?.sameZone ?? 0,
  }));
  const key = (z) => [z.zone === UNKNOWN_ZONE ? 1 : 0, z.region === null ? 1 : 0, z.region ?? "", z.zone];
  zones.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      if (ka[i] < kb[i]) return -1;
      if (ka[i] > kb[i]) return 1;
    }
    return 0;
  });
  return zones;
}

// Every drawn flow (share >= MIN_SHARE, between two different zones) and how many were left out.
export function flowsOf(flowmap, zones) {
  const regionOf = new Map(zones.map((z) => [z.zone, z.region]));
  const drawn = [];
  let omitted = 0;
  for (const [src, row] of Object.entries(flowmap.matrix || {})) {
    for (const [dst, share] of Object.entries(row)) {
      if (src === dst || share <= 0) continue;
      if (share < MIN_SHARE) {
        omitted += 1;
        continue;
      }
      drawn.push({ from: src, to: dst, share, crossing: crossing(src, dst, regionOf) });
    }
  }
  return { drawn, omitted };
}

const BOX = { w: 200, h: 124 }; // at a text scale of 1; taller as the text grows
const MARGIN = 8;
const REGION_PAD = 14;
const REGION_HEAD = 26;
const REGION_GAP = 28;
const LABEL_ROOM = 26;

// How far an arc between zones `distance` places apart bulges out of the boxes' edge. Nested
// arcs are far enough apart for the inner one's label to sit between them.
function arcHeight(distance, orientation) {
  return orientation === "row" ? 50 + 36 * (distance - 1) : 36 + 28 * (distance - 1);
}

// Box positions for the zones in one orientation, and the picture's size, for text `k` times
// its size at scale 1.
function layout(zones, orientation, k = 1) {
  const groups = [];
  for (const zone of zones) {
    const key = zone.zone === UNKNOWN_ZONE ? "\u0000unknown" : zone.region ?? "\u0000none";
    const last = groups[groups.length - 1];
    if (last && last.key === key) last.zones.push(zone);
    else groups.push({ key, region: zone.region, unknown: zone.zone === UNKNOWN_ZONE, zones: [zone] });
  }
  const n = zones.length;
  const reach = arcHeight(Math.max(1, n - 1), orientation) + LABEL_ROOM * k;
  const box = { w: BOX.w, h: Math.round(BOX.h * k) };
  const head = REGION_HEAD * k;
  const boxes = new Map();
  const regions = [];
  if (orientation === "row") {
    const gap = 56;
    const above = Math.max(0, reach - head - REGION_PAD);
    const below = Math.max(0, reach - REGION_PAD);
    const top = MARGIN + above;
    let x = MARGIN;
    for (const group of groups) {
      const rx = x;
      x += REGION_PAD;
      group.zones.forEach((zone, i) => {
        if (i) x += gap;
        boxes.set(zone.zone, { x, y: top + head + REGION_PAD, w: box.w, h: box.h });
        x += box.w;
      });
      x += REGION_PAD;
      regions.push({ ...group, x: rx, y: top, w: x - rx, h: head + 2 * REGION_PAD + box.h });
      x += REGION_GAP;
    }
    const width = x - REGION_GAP + MARGIN;
    const height = top + head + 2 * REGION_PAD + box.h + below + MARGIN;
    return { orientation, k, boxes, regions, width, height, slotStep: slotStep(box.w, n) };
  }
  const gap = 34;
  const side = Math.max(0, reach - REGION_PAD); // labels sit on the arcs here
  const left = MARGIN + side;
  let y = MARGIN;
  for (const group of groups) {
    const ry = y;
    y += head + REGION_PAD;
    group.zones.forEach((zone, i) => {
      if (i) y += gap;
      boxes.set(zone.zone, { x: left + REGION_PAD, y, w: box.w, h: box.h });
      y += box.h;
    });
    y += REGION_PAD;
    regions.push({ ...group, x: left, y: ry, w: box.w + 2 * REGION_PAD, h: y - ry });
    y += REGION_GAP;
  }
  return {
    orientation,
    k,
    boxes,
    regions,
    width: left + box.w + 2 * REGION_PAD + side + MARGIN,
    height: y - REGION_GAP + MARGIN,
    slotStep: slotStep(box.h, n),
  };
}

function slotStep(length, n) {
  return Math.min(22, (length / 2 - 20 - 6) / Math.max(1, n - 2));
}

// The arrow of one flow: leave the source box square to its edge, run parallel to the row (or
// column) at the arc's height, and come square into the destination box, with rounded corners.
// Nested arcs of one side then never pass through each other's labels. Returns the path (ending
// at the arrowhead's base), the head's points and where the label goes.
function arrowGeometry(lay, order, flow, width) {
  const i = order.get(flow.from);
  const j = order.get(flow.to);
  const a = lay.boxes.get(flow.from);
  const b = lay.boxes.get(flow.to);
  const d = Math.abs(i - j);
  const forward = i < j;
  const h = arcHeight(d, lay.orientation);
  const pad = 20;
  const step = lay.slotStep * (d - 1);
  let s;
  let e;
  let n; // outward normal of the edge the arrow leaves and enters
  if (lay.orientation === "row") {
    if (forward) {
      s = [a.x + a.w - pad - step, a.y];
      e = [b.x + pad + step, b.y];
      n = [0, -1];
    } else {
      s = [a.x + pad + step, a.y + a.h];
      e = [b.x + b.w - pad - step, b.y + b.h];
      n = [0, 1];
    }
  } else if (forward) {
    s = [a.x + a.w, a.y + a.h - pad - step];
    e = [b.x + b.w, b.y + pad + step];
    n = [1, 0];
  } else {
    s = [a.x, a.y + pad + step];
    e = [b.x, b.y + b.h - pad - step];
    n = [-1, 0];
  }
  const headLength = 7 + 1.1 * width;
  const headHalf = 3.5 + 0.8 * width;
  const along = [e[0] - s[0], e[1] - s[1]];
  const span = Math.hypot(along[0], along[1]);
  const dir = [along[0] / span, along[1] / span];
  const radius = Math.min(16, span / 2, h - headLength);
  const at = (p, k, m = 0) => [p[0] + n[0] * k + dir[0] * m, p[1] + n[1] * k + dir[1] * m];
  const r = (v) => Math.round(v * 100) / 100;
  const pt = (p) => `${r(p[0])} ${r(p[1])}`;
  const end = at(e, headLength);
  const path = [
    `M ${pt(s)}`,
    `L ${pt(at(s, h - radius))}`,
    `Q ${pt(at(s, h))} ${pt(at(s, h, radius))}`,
    `L ${pt(at(e, h, -radius))}`,
    `Q ${pt(at(e, h))} ${pt(at(e, h - radius))}`,
    `L ${pt(end)}`,
  ].join(" ");
  const perp = [n[1], -n[0]];
  const head = [
    e,
    [end[0] + perp[0] * headHalf, end[1] + perp[1] * headHalf],
    [end[0] - perp[0] * headHalf, end[1] - perp[1] * headHalf],
  ]
    .map(pt)
    .join(" ");
  const mid = [(s[0] + e[0]) / 2 + n[0] * h, (s[1] + e[1]) / 2 + n[1] * h];
  const off = width / 2 + 5;
  let label;
  if (lay.orientation === "row") {
    label = { x: mid[0], y: forward ? mid[1] - off : mid[1] + off + 10 * lay.k, anchor: "middle" };
  } else {
    label = { x: mid[0], y: mid[1] + 4 * lay.k, anchor: "middle" }; // on the arc, over a halo
  }
  return { path, head, label: { ...label, x: r(label.x), y: r(label.y) } };
}

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// Text set larger (a phone) may outgrow its box by a little: its glyphs are narrowed to the room
// (textLength), never set in a smaller font.
function fitTexts(layer) {
  for (const text of layer.querySelectorAll("text[data-room]")) {
    const roomFor = Number(text.dataset.room);
    if (text.getComputedTextLength() <= roomFor) continue;
    text.setAttribute("textLength", String(roomFor));
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

// The Services page filtered to the Services with endpoints in `zone` (it lists the zone's
// nodes), of the snapshot the page is pinned to, if it is.
export function zoneHref(zone, cluster = document.body.dataset.cluster, pinned = document.body.dataset.pinnedSeq) {
  const params = new URLSearchParams({ zone });
  if (pinned) params.set("snapshot", pinned);
  return `/clusters/${encodeURIComponent(cluster)}/services/?${params}`;
}

// A text's room: from where it starts to 8 units before the box's right edge (fitTexts).
const room = (box, x) => String(Math.round(box.x + box.w - 8 - x));

function zoneBox(zone, box, k, href) {
  const known = zone.zone !== UNKNOWN_ZONE;
  const line = (dy, text, cls) =>
    svg("text", { x: box.x + 12, y: box.y + dy * k, class: cls, dataset: { room: room(box, box.x + 12) } }, text);
  const nodes = zone.nodes === null || zone.nodes === undefined ? "–" : `${count(zone.readyNodes)}/${count(zone.nodes)} ready`;
  const title = known
    ? `${zone.zone}: ${nodes} nodes, ${count(zone.readyEndpoints)} ready endpoints, ` +
      `${pct(zone.clientWeight)} of client traffic, ${pct(zone.sameZone)} stays in the zone`
    : "Nodes or endpoints without a topology.kubernetes.io/zone label: never counted as crossing";
  const group = svg(
    "g",
    {
      class: `zone-box${known ? "" : " zone-box--unknown"}`,
      dataset: { zone: zone.zone, sameZone: String(zone.sameZone) },
    },
    svg("title", {}, title),
    svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 8 }),
    line(22, truncate(known ? zone.zone : "unknown zone", Math.floor(24 / k)), "zone-box__name"),
    line(44, `Nodes ${nodes}`, "zone-box__fact"),
    line(62, `Ready endpoints ${count(zone.readyEndpoints)}`, "zone-box__fact"),
    line(80, `Client traffic ${pct(zone.clientWeight)}`, "zone-box__fact"),
    // Traffic from or to a node without a zone never "stays in its zone" nor crosses one: no
    // green figure for it, only what is known.
    known ? svg("circle", { cx: box.x + 18, cy: box.y + 101 * k, r: 5.5, class: "zone-box__loop" }) : null,
    known
      ? svg(
          "text",
          {
            x: box.x + 30,
            y: box.y + 105 * k,
            class: "zone-box__local",
            dataset: { role: "same-zone", room: room(box, box.x + 30) },
          },
          `Stays in zone ${pct(zone.sameZone)}`,
        )
      : line(105, "Not counted as crossing", "zone-box__fact zone-box__fact--unknown"),
  );
  if (!href) return group;
  const where = known ? `zone ${zone.zone}` : "the endpoints without a zone";
  return svg(
    "a",
    { href, class: "zone-link", dataset: { zone: zone.zone }, "aria-label": `${title}. Open the Services with endpoints in ${where}, and its nodes` },
    group,
  );
}

function regionBox(region, k) {
  const name = region.unknown ? "no zone label" : region.region ?? "no region label";
  return svg(
    "g",
    { class: "region-box", dataset: { region: region.region ?? "" } },
    svg("rect", { x: region.x, y: region.y, width: region.w, height: region.h, rx: 10 }),
    svg("text", { x: region.x + 12, y: region.y + 18 * k, class: "region-box__name" }, truncate(name, Math.floor(28 / k))),
  );
}

export class TopologyView {
  // `zoneLink(zone)`: where a zone box leads (default: zoneHref, on a cluster's page); null for
  // boxes that are not links.
  constructor(container, { zoneLink } = {}) {
    this.container = container;
    this.signature = null;
    this.arrows = new Map(); // "from\u0000to" -> {group, path, head, label}
    const cluster = document.body.dataset.cluster;
    this.zoneLink = zoneLink ?? (cluster ? (zone) => zoneHref(zone, cluster) : () => null);
  }

  // Row when the row fits at 70% scale or better, else column.
  orientationFor(zones) {
    const available = this.container.clientWidth || 1200;
    const row = layout(zones, "row");
    return available >= row.width * 0.7 ? "row" : "column";
  }

  // How much larger than at scale 1 the text must be for none of it to render under
  // MIN_TEXT_PX (the smallest is 12 at scale 1), with the picture drawn at the container's
  // width (at most 1.25 times its own: build). Larger text widens the layout a little, so the
  // layout is measured again with each guess.
  textScale(zones, orientation) {
    const available = this.container.clientWidth || 1200;
    let k = 1;
    for (let i = 0; i < 8; i += 1) {
      const { width } = layout(zones, orientation, k);
      const shown = Math.min(available, width * 1.25) / width;
      const next = Math.max(1, MIN_TEXT_PX / 12 / shown);
      if (next <= k + 1e-4) break;
      k = next * 1.002; // from below, with a hair to spare
    }
    return Math.round(k * 1000) / 1000;
  }

  draw(flowmap, summary) {
    const zones = zonesOf(flowmap);
    const orientation = this.orientationFor(zones);
    const k = this.textScale(zones, orientation);
    const signature = JSON.stringify([orientation, k, zones.map((z) => [z.zone, z.region])]);
    if (signature !== this.signature) this.build(zones, orientation, k, signature);
    this.updateZones(zones);
    const { drawn, omitted } = flowsOf(flowmap, zones);
    this.updateArrows(drawn);
    this.svg.setAttribute("aria-label", summary);
    this.lastFlowmap = flowmap;
    this.lastSummary = summary;
    return { zones, drawn, omitted };
  }

  redrawIfNeeded() {
    if (!this.lastFlowmap) return;
    const zones = zonesOf(this.lastFlowmap);
    const orientation = this.orientationFor(zones);
    if (orientation !== this.layout.orientation || this.textScale(zones, orientation) !== this.layout.k) {
      this.signature = null;
      this.draw(this.lastFlowmap, this.lastSummary);
    }
  }

  build(zones, orientation, k, signature) {
    this.signature = signature;
    this.layout = layout(zones, orientation, k);
    this.order = new Map(zones.map((z, i) => [z.zone, i]));
    this.arrows = new Map();
    const { width, height } = this.layout;
    // A group, not an image: its zone boxes are links a screen reader must reach.
    this.svg = svg("svg", {
      class: `topology-svg topology-svg--${orientation}`,
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      role: "group",
      dataset: { orientation, textScale: String(k) },
    });
    this.svg.style.maxWidth = `${Math.round(width * 1.25)}px`; // a little larger than drawn, no more
    this.svg.style.aspectRatio = `${width} / ${height}`;
    this.svg.style.setProperty("--text-scale", String(k));
    this.regionLayer = svg("g", { class: "regions" }, this.layout.regions.map((r) => regionBox(r, k)));
    this.zoneLayer = svg("g", { class: "zones" });
    this.arrowLayer = svg("g", { class: "arrows" });
    this.labelLayer = svg("g", { class: "arrow-labels" });
    this.svg.append(this.regionLayer, this.zoneLayer, this.arrowLayer, this.labelLayer);
    this.container.replaceChildren(this.svg);
  }

  // The boxes are drawn anew; a box that had the keyboard's focus keeps it.
  updateZones(zones) {
    const focused = document.activeElement?.closest?.(".zone-link")?.dataset.zone;
    const { k } = this.layout;
    this.zoneLayer.replaceChildren(...zones.map((z) => zoneBox(z, this.layout.boxes.get(z.zone), k, this.zoneLink(z.zone))));
    if (k > 1) fitTexts(this.zoneLayer);
    if (focused !== undefined) {
      [...this.zoneLayer.querySelectorAll(".zone-link")].find((a) => a.dataset.zone === focused)?.focus();
    }
  }

  updateArrows(flows) {
    const seen = new Set();
    for (const flow of flows) {
      const key = `${flow.from}\u0000${flow.to}`;
      seen.add(key);
      const width = strokeWidth(flow.share);
      const geometry = arrowGeometry(this.layout, this.order, flow, width);
      let arrow = this.arrows.get(key);
      if (!arrow) {
        const path = svg("path", { class: "flow-arrow", dataset: { from: flow.from, to: flow.to } });
        const head = svg("polygon", { class: "flow-head" });
        const title = svg("title");
        const group = svg("g", { class: "flow", dataset: { from: flow.from, to: flow.to } }, title, path, head);
        const label = svg("text", { class: "flow-label", dataset: { from: flow.from, to: flow.to } });
        this.arrowLayer.append(group);
        this.labelLayer.append(label);
        arrow = { group, path, head, label, title };
        this.arrows.set(key, arrow);
      }
      const crossingClass = `flow--${flow.crossing}`;
      arrow.group.setAttribute("class", `flow ${crossingClass}`);
      arrow.path.setAttribute("d", geometry.path);
      arrow.path.setAttribute("stroke-width", String(width));
      arrow.path.style.strokeWidth = `${width}px`;
      arrow.path.dataset.share = String(flow.share);
      arrow.path.dataset.crossing = flow.crossing;
      arrow.head.setAttribute("points", geometry.head);
      arrow.label.setAttribute("x", geometry.label.x);
      arrow.label.setAttribute("y", geometry.label.y);
      arrow.label.setAttribute("text-anchor", geometry.label.anchor);
      arrow.label.setAttribute("class", `flow-label ${crossingClass}`);
      arrow.label.textContent = pct(flow.share);
      const what = { zone: "crosses zones", region: "crosses regions", unknown: "to or from a node without a zone" };
      arrow.title.textContent = `${flow.from} → ${flow.to}: ${pct(flow.share)} of client traffic (${what[flow.crossing]})`;
    }
    for (const [key, arrow] of this.arrows) {
      if (seen.has(key)) continue;
      arrow.group.remove();
      arrow.label.remove();
      this.arrows.delete(key);
    }
  }
}

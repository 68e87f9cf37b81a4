// The live connection: one WebSocket per page to /ws/clusters/[<name>/] (routing/live), with
// automatic reconnection (exponential backoff with jitter, 1 s to 30 s), the header's live
// indicator, the cluster bar's status badge, snapshot line and stale banner.
//
// Pages listen on `document` for:
//   tl:snapshot  detail = {cluster, seq, takenAt, source, ...}   a snapshot committed: refetch
//   tl:status    detail = {cluster, status, message}             the cluster's watch state
//   tl:changes   detail = {cluster, changes: [...], more, ...}   the watcher saw objects change
//   tl:live      detail = every event, raw
// After a reconnect the server's hello carries each cluster's latest seq; a page that missed a
// snapshot while offline gets its tl:snapshot then.

import { when } from "./format.js";

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_NOT_FOUND = 4404;
const MIN_DELAY = 1000;
const MAX_DELAY = 30000;

const indicator = document.getElementById("live-indicator");
const seenSeq = new Map(); // cluster -> latest seq this page knows of

function setIndicator(state, text) {
  document.body.dataset.liveState = state;
  if (!indicator) return;
  indicator.dataset.state = state;
  indicator.querySelector(".live__text").textContent = text;
  indicator.title = text;
}

function emit(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

function showStatus(event) {
  if (event.cluster !== document.body.dataset.cluster) return;
  const badge = document.getElementById("cluster-status");
  if (badge) {
    badge.textContent = event.status;
    badge.className = `badge badge--${event.status}`;
    badge.dataset.status = event.status;
  }
  const banner = document.getElementById("stale-banner");
  if (banner) {
    banner.hidden = event.status !== "stale";
    const message = document.getElementById("stale-message");
    if (message && event.message) message.textContent = event.message;
  }
}

// Watch events arrive before the snapshot that includes them (debounced by the watcher): the
// cluster bar says how many objects changed since the snapshot shown, until the next one lands.
let pending = 0;

function pinned(cluster) {
  return Boolean(document.body.dataset.pinnedSeq) && cluster === document.body.dataset.cluster;
}

function noteNewer(event) {
  const link = document.getElementById("pinned-latest");
  if (link) link.textContent = `show the latest (snapshot ${event.seq})`;
}

function showPending(event) {
  if (event.cluster !== document.body.dataset.cluster || pinned(event.cluster)) return;
  const el = document.getElementById("pending-changes");
  if (!el) return;
  pending += event.changes.length + (event.more || 0);
  const first = event.changes[0];
  const next = mode === "live" ? "updating…" : "not shown yet";
  el.textContent = `· ${pending} object change${pending === 1 ? "" : "s"} seen, ${next}`;
  el.title = first ? `latest: ${first.kind} ${first.namespace ? `${first.namespace}/` : ""}${first.name} ${first.type.toLowerCase()}` : "";
  el.hidden = false;
}

function showSnapshot(event) {
  if (event.cluster !== document.body.dataset.cluster) return;
  pending = 0;
  const el = document.getElementById("pending-changes");
  if (el) el.hidden = true;
  const info = document.getElementById("snapshot-info");
  if (!info) return;
  info.dataset.seq = event.seq;
  info.textContent = `snapshot ${event.seq} · ${when(event.takenAt)}`;
}

function handle(event) {
  emit("tl:live", event);
  if (event.type === "hello") {
    // The server has joined this socket to its clusters' groups: from now on no event is missed.
    document.body.dataset.liveHello = "true";
    for (const cluster of event.clusters) {
      const status = { type: "cluster.status", cluster: cluster.name, status: cluster.status, message: cluster.message };
      showStatus(status);
      emit("tl:status", status);
      const known = seenSeq.get(cluster.name);
      if (cluster.seq !== null && known !== undefined && cluster.seq !== known) {
        handle({ type: "snapshot.committed", cluster: cluster.name, seq: cluster.seq, takenAt: cluster.takenAt });
      } else if (cluster.seq !== null) {
        seenSeq.set(cluster.name, cluster.seq);
      }
    }
  } else if (event.type === "snapshot.committed") {
    seenSeq.set(event.cluster, event.seq);
    // A page pinned to a snapshot (?snapshot=SEQ) is a fixed point in time: it neither moves
    // its snapshot line nor refetches; the banner says a newer one exists.
    if (pinned(event.cluster)) {
      noteNewer(event);
      return;
    }
    deliver(event);
  } else if (event.type === "cluster.status") {
    showStatus(event);
    emit("tl:status", event);
  } else if (event.type === "cluster.changed") {
    showPending(event);
    emit("tl:changes", event);
  }
}

// --- how the page follows snapshots: live, every N seconds, or paused (like Grafana's refresh
// picker). Held snapshots are not lost: the newest per cluster is delivered when the interval
// ticks or the page resumes. The choice is kept per browser.

const MODE_KEY = "trafficlens.refresh";
const modeSelect = document.getElementById("refresh-mode");
const held = new Map(); // cluster -> newest snapshot event not yet shown
let mode = "live";
let ticker = null;
let applied = 0; // snapshots shown since the page opened

function apply(event) {
  showSnapshot(event);
  if (event.cluster === document.body.dataset.cluster) {
    applied += 1;
    const since = document.getElementById("since-open");
    if (since) {
      since.textContent = `· ${applied} new snapshot${applied === 1 ? "" : "s"} since you opened this page`;
      since.hidden = false;
    }
  }
  emit("tl:snapshot", event);
}

function flush() {
  const events = [...held.values()];
  held.clear();
  showHeld();
  for (const event of events) apply(event);
}

function showHeld() {
  const waiting = held.get(document.body.dataset.cluster);
  document.body.dataset.refresh = mode;
  if (!indicator) return;
  if (mode === "live") return;
  const text = waiting
    ? `${mode === "paused" ? "Paused" : "Waiting"}: snapshot ${waiting.seq} not shown yet`
    : mode === "paused" ? "Paused" : `Updates every ${mode} s`;
  indicator.querySelector(".live__text").textContent = text;
  indicator.title = text;
}

function deliver(event) {
  if (mode === "live") {
    apply(event);
    return;
  }
  held.set(event.cluster, event);
  showHeld();
}

function setMode(next) {
  mode = ["live", "paused", "30", "300"].includes(next) ? next : "live";
  if (modeSelect) modeSelect.value = mode;
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
  try {
    localStorage.setItem(MODE_KEY, mode);
  } catch {
    // storage refused (private mode): the choice lasts for this page only
  }
  if (mode === "live") {
    if (document.body.dataset.liveState === "live") setIndicator("live", "Live");
    flush();
  } else if (mode !== "paused") {
    ticker = setInterval(flush, Number(mode) * 1000);
  }
  showHeld();
}

function connect(url) {
  let attempt = 0;
  let timer = null;

  const open = () => {
    setIndicator("connecting", attempt ? "Reconnecting…" : "Connecting…");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${url}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      setIndicator("live", "Live");
      showHeld(); // paused or on an interval: the indicator says so
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // not ours; ignore rather than break the page
      }
      handle(event);
    });
    socket.addEventListener("close", (close) => {
      if (close.code === CLOSE_UNAUTHENTICATED) {
        setIndicator("offline", "Signed out: reload to sign in");
        return;
      }
      if (close.code === CLOSE_FORBIDDEN || close.code === CLOSE_NOT_FOUND) {
        setIndicator("offline", "No live updates for this page");
        return;
      }
      const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      setIndicator("offline", `Offline: retrying in ${Math.round(delay / 1000)} s`);
      timer = setTimeout(open, delay);
    });
  };

  // A tab coming back to the foreground retries at once rather than waiting out its backoff.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && timer !== null && document.body.dataset.liveState === "offline") {
      clearTimeout(timer);
      timer = null;
      open();
    }
  });
  open();
}

let saved = "live";
try {
  saved = localStorage.getItem(MODE_KEY) || "live";
} catch {
  saved = "live";
}
if (modeSelect) modeSelect.addEventListener("change", () => setMode(modeSelect.value));
setMode(saved);

const info = document.getElementById("snapshot-info");
if (info && info.dataset.seq && document.body.dataset.cluster) {
  seenSeq.set(document.body.dataset.cluster, Number(info.dataset.seq));
}
const liveUrl = document.body.dataset.liveUrl;
if (liveUrl && "WebSocket" in window) {
  connect(liveUrl);
} else if (indicator) {
  setIndicator("offline", "No live updates");
}

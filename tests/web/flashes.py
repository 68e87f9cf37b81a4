"""What browser tests use to see which figures flashed after a live update."""

# Records the text of every element that starts flashing (class "changed", dom.js flash()).
RECORD_FLASHES = """() => {
  window.__flashed = [];
  const started = (r) => r.target.classList && r.target.classList.contains("changed")
    && !(r.oldValue || "").includes("changed");
  new MutationObserver((records) => {
    for (const r of records) if (started(r)) window.__flashed.push(r.target.textContent.trim());
  }).observe(document.body,
    { subtree: true, attributes: true, attributeFilter: ["class"], attributeOldValue: true });
}"""

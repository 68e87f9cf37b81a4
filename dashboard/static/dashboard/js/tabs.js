// On a phone the cluster's tabs keep to one row that scrolls sideways (app.css): bring the
// current tab into view (as little as needed, with a little of the next one showing), so that
// the Settings page does not open with its own tab out of sight.

const current = document.querySelector('.tabs a[aria-current="page"]');
const strip = current && current.closest(".tabs");
if (strip && strip.scrollWidth > strip.clientWidth) {
  const tab = current.getBoundingClientRect();
  const box = strip.getBoundingClientRect();
  const margin = 24;
  if (tab.right > box.right) strip.scrollLeft += tab.right - box.right + margin;
  else if (tab.left < box.left) strip.scrollLeft -= box.left - tab.left + margin;
}

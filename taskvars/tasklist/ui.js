// What every view shares: htm bound to Preact, and small helpers for dates and sizes.
import { h, render } from "./vendor/preact.mjs";
import htm from "./vendor/htm.mjs";

export { h, render };
export const html = htm.bind(h);

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A date from the API (Camunda's "2026-12-06T10:42:18.000+0000"), in the browser's locale. */
export function formatDate(text) {
  if (!text) return "";
  const date = new Date(text.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  return Number.isNaN(date.getTime()) ? text : dateFormat.format(date);
}

/** A byte count as people read it: 5.0 MiB. */
export function formatSize(bytes) {
  if (bytes == null) return "";
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** An error shown where it happened: the server's message, as Camunda's error JSON has it. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message || String(error)}</p>`;
}

// Once the person moves to another view (#/...), that view's heading takes the focus as
// it is shown: keyboard and screen reader users go on from the view they asked for, not
// from the link they followed (or from the page's start, when that link went away with
// the old view). Not if they moved the focus themselves while the view was loading.
let arrival = null;

/** A route's key, from its view and the rest of its path as app.js decodes them. */
export function routeKey(view, ...rest) {
  return JSON.stringify([view, ...rest]);
}

/** The person moved to the route ``key``: its heading, shown now or later, takes the focus. */
export function arrivedAt(key) {
  arrival = { key, focusWas: document.activeElement };
  focusHeadingIfArrived(document.querySelector(`[data-route-heading="${CSS.escape(key)}"]`));
}

/** A view heading's ref (it has ``data-route-heading`` and ``tabindex="-1"``). */
export function focusHeadingIfArrived(heading) {
  if (!heading || arrival === null || heading.dataset.routeHeading !== arrival.key) return;
  const { focusWas } = arrival;
  arrival = null;
  const focused = document.activeElement;
  if (focused === focusWas || focused === document.body || focused === null) heading.focus();
}

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

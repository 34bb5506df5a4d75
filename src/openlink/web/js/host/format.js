// Times and duration choices as the host tools show them, in the app's language
// (js/i18n.js), and the conversions for <input type="datetime-local">.

import { formatDuration, uiLanguage } from "../i18n.js";

export { formatDuration };

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(uiLanguage(), { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** Duration choices for a <select>: seconds -> label, plus the current value if odd. */
export function durationOptions(seconds, current, { offLabel, forever } = {}) {
  const options = seconds.map((s) => ({
    value: s,
    label: s === 0 && offLabel ? offLabel : formatDuration(s),
  }));
  if (forever) options.push({ value: "", label: forever });
  if (current !== undefined && current !== null && !seconds.includes(current)) {
    options.push({ value: current, label: formatDuration(current) });
  }
  return options;
}

/** An ISO time for <input type="datetime-local"> in local time ("2026-05-01T18:30"). */
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of a datetime-local input as an ISO time with a zone, or null when empty. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

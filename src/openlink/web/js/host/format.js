// Durations and times as the host tools show them, in the app's language (js/i18n.js),
// and the conversions for <input type="datetime-local">.

import { t, uiLanguage } from "../i18n.js";

const UNITS = [
  ["d", 86400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];

/** 90 -> "1 min 30 s"; at most two units. */
export function formatDuration(seconds) {
  let left = Math.max(0, Math.round(seconds));
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (left >= size || (unit === "s" && parts.length === 0)) {
      const n = Math.floor(left / size);
      left -= n * size;
      if (n) parts.push(t(`host.unit.${unit}`, { n }));
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ") || t("host.unit.s", { n: 0 });
}

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

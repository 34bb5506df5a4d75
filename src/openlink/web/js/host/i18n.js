// Strings of the host tools live in /app/locales/host/{en,ko,ja}.json under "host."
// (nested objects or flat dotted keys both work). The panel reads them itself, so it
// does not depend on the chat view's i18n having merged them; ctx.t is the fallback for
// any key not found there.

export const LANGUAGES = ["en", "ko", "ja"];
const dictionaries = new Map(); // lang -> dict (loaded)
const loading = new Map(); // lang -> Promise<dict>

/** The language of the app: ctx.lang/ctx.language, else <html lang>, else the browser's. */
export function pickLanguage(ctx) {
  const raw =
    (ctx && (ctx.lang || ctx.language || ctx.locale)) ||
    document.documentElement.lang ||
    navigator.language ||
    "en";
  const primary = String(raw).toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(primary) ? primary : "en";
}

export function loadDictionary(lang) {
  if (!loading.has(lang)) {
    const promise = fetch(`/app/locales/host/${lang}.json`)
      .then((res) => (res.ok ? res.json() : {}))
      .catch(() => ({}))
      .then((dict) => {
        dictionaries.set(lang, dict);
        return dict;
      });
    loading.set(lang, promise);
  }
  return loading.get(lang);
}

function lookup(dict, key) {
  if (!dict) return undefined;
  if (typeof dict[key] === "string") return dict[key];
  let node = dict;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

function interpolate(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** tr(key, vars) for this ctx: own dictionary, then English, then ctx.t, then the key.
 * With a number vars.n, "key.one" / "key.other" (Intl plural rules) are tried first, as
 * the app's own t does. */
export function translator(ctx) {
  const lang = pickLanguage(ctx);
  if (!dictionaries.has(lang)) loadDictionary(lang); // ready() awaits it; here: next time
  const rules = new Intl.PluralRules(lang);
  const find = (key, vars) => {
    const keys = [key];
    if (vars && typeof vars.n === "number") keys.unshift(`${key}.${rules.select(vars.n)}`, `${key}.other`);
    for (const dict of [dictionaries.get(lang), dictionaries.get("en")]) {
      for (const k of keys) {
        const text = lookup(dict, k);
        if (text !== undefined) return text;
      }
    }
    return undefined;
  };
  const tr = (key, vars) => {
    const text = find(key, vars);
    if (text === undefined && ctx && typeof ctx.t === "function") {
      const theirs = ctx.t(key, vars);
      if (typeof theirs === "string" && theirs && theirs !== key) return theirs;
    }
    return interpolate(text ?? key, vars);
  };
  tr.lang = lang;
  tr.has = (key) => find(key) !== undefined;
  return tr;
}

/** Load what tr needs for ctx (its language and English). */
export function ready(ctx) {
  const lang = pickLanguage(ctx);
  return Promise.all([loadDictionary("en"), loadDictionary(lang)]);
}

// -- formatting ------------------------------------------------------------------------

const UNITS = [
  ["d", 86400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];

/** 90 -> "1 min 30 s" (in the panel's language); 0 -> "off" is the caller's choice. */
export function formatDuration(tr, seconds) {
  let left = Math.max(0, Math.round(seconds));
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (left >= size || (unit === "s" && parts.length === 0)) {
      const n = Math.floor(left / size);
      left -= n * size;
      if (n) parts.push(tr(`host.unit.${unit}`, { n }));
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ") || tr("host.unit.s", { n: 0 });
}

export function formatTime(tr, iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(tr.lang, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** Duration choices for a <select>: seconds -> label, plus the current value if odd. */
export function durationOptions(tr, seconds, current, { offLabel, forever } = {}) {
  const options = seconds.map((s) => ({
    value: s,
    label: s === 0 && offLabel ? offLabel : formatDuration(tr, s),
  }));
  if (forever) options.push({ value: "", label: forever });
  if (current !== undefined && current !== null && !seconds.includes(current)) {
    options.push({ value: current, label: formatDuration(tr, current) });
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

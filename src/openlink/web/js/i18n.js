// UI strings in English, Korean and Japanese.
//
// locales/{lang}.json holds every string of the app, the host tools' under "host.", with
// English underneath as a fallback. Keys may be flat ("chat.send") or nested objects;
// both are read as dotted keys.

import { primaryLang, storage } from "./util.js";

export const UI_LANGUAGES = ["en", "ko", "ja"];
const OVERRIDE_KEY = "openlink.uiLang";

let current = "en";
let strings = {};
let fallback = {};
let plural = new Intl.PluralRules("en");

function flatten(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
    else if (typeof v === "string") out[key] = v;
  }
  return out;
}

async function fetchJson(url) {
  try {
    const res = await fetch(url, { cache: "no-cache" });
    return res.ok ? await res.json() : {};
  } catch {
    return {};
  }
}

async function loadDict(lang) {
  return flatten(await fetchJson(`/app/locales/${lang}.json`));
}

export function overrideLanguage() {
  const v = storage.get(OVERRIDE_KEY);
  return UI_LANGUAGES.includes(v) ? v : null;
}

export function setOverrideLanguage(lang) {
  storage.set(OVERRIDE_KEY, UI_LANGUAGES.includes(lang) ? lang : null);
}

/** The settings' choice, else the account's reading language, else the browser's. */
export function pickLanguage(accountLanguage) {
  const override = overrideLanguage();
  if (override) return override;
  const account = primaryLang(accountLanguage);
  if (UI_LANGUAGES.includes(account)) return account;
  for (const tag of navigator.languages || [navigator.language]) {
    const p = primaryLang(tag);
    if (UI_LANGUAGES.includes(p)) return p;
  }
  return "en";
}

export async function setLanguage(lang) {
  if (!UI_LANGUAGES.includes(lang)) lang = "en";
  const [dict, en] = await Promise.all([loadDict(lang), lang === "en" ? null : loadDict("en")]);
  strings = dict;
  fallback = en || dict;
  current = lang;
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
  return lang;
}

export function uiLanguage() {
  return current;
}

/** t("chat.unread", {n: 3}): "{n}" placeholders; with a number n, "key.one"/"key.other" first. */
export function t(key, params) {
  const counted = params && typeof params.n === "number";
  const lookup = (dict) => {
    if (counted) {
      const v = dict[`${key}.${plural.select(params.n)}`] ?? dict[`${key}.other`];
      if (v !== undefined) return v;
    }
    return dict[key];
  };
  let s = lookup(strings) ?? lookup(fallback) ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return s;
}

/** Whether a string exists for key (in the UI language or English). */
export function hasText(key) {
  return key in strings || key in fallback;
}

const names = new Map();
/** "ko" → "Korean" (or 한국어 in a Korean UI). */
export function languageName(tag) {
  if (!tag) return "";
  const key = `${current}:${tag}`;
  if (!names.has(key)) {
    let name = tag;
    try {
      name = new Intl.DisplayNames([current], { type: "language" }).of(tag) || tag;
    } catch {
      /* an unusual tag: show it as it is */
    }
    names.set(key, name);
  }
  return names.get(key);
}

export function formatTime(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString(current, { hour: "numeric", minute: "2-digit" });
}

export function formatDay(iso) {
  const d = new Date(iso);
  return d.toLocaleDateString(current, { year: "numeric", month: "long", day: "numeric", weekday: "short" });
}

export function formatShort(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return formatTime(iso);
  return d.toLocaleDateString(current, { month: "short", day: "numeric" });
}

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
      if (n) parts.push(t(`unit.${unit}`, { n }));
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ") || t("unit.s", { n: 0 });
}

export function formatNumber(n) {
  return new Intl.NumberFormat(current, { notation: n >= 10000 ? "compact" : "standard" }).format(n);
}

// The emoji picker: the emoji-picker-element web component from npm, with its data in the
// reader's UI language. Both are served by this server under /app/vendor/ (installed by
// `openlink assets fetch`, listed in vendor/manifest.json): the picker never asks a CDN.
// Without them the button says the picker is unavailable, and everything else works.
//
// The page's CSP allows styles from this server only. The component puts its stylesheet
// in a <style> element and sets a few layout values (grid columns, positions) as style
// attributes; the browser would refuse both. So its stylesheet is adopted as a
// constructed sheet (CSSOM) before it is connected, and style attributes written by
// script inside the picker become CSSOM writes (see docs/decisions/0027-npm-assets.md).

import { h } from "./dom.js";
import { t, uiLanguage } from "./i18n.js";

const MANIFEST = "/app/vendor/manifest.json";
const LIB = "emoji-picker-element";
const DATA = "emoji-picker-element-data";
// The data set per UI language: emojibase where it exists, else CLDR's annotations.
const DATA_FILES = { en: "en/emojibase/data.json", ko: "ko/cldr/data.json", ja: "ja/emojibase/data.json" };
const PENDING = Symbol("style");

let loading = null;

async function loadVendor() {
  const res = await fetch(MANIFEST, { cache: "no-cache" });
  if (!res.ok) throw new Error("emoji picker not installed");
  const { packages } = await res.json();
  const lib = packages?.[LIB];
  const data = packages?.[DATA];
  if (!lib || !data) throw new Error("emoji picker not installed");
  allowPickerStyles();
  const { Picker } = await import(`${lib.path}index.js`);
  return { Picker, data };
}

/** The component and its data's location; rejects when they are not installed. */
export function emojiVendor() {
  loading ??= loadVendor().catch((err) => {
    loading = null; // installed later: the next try loads it
    throw err;
  });
  return loading;
}

function inPicker(el) {
  const root = el.getRootNode();
  return root instanceof ShadowRoot && root.host.localName === "emoji-picker";
}

// The component renders through <template> clones: an attribute it binds is written while
// the element still belongs to the template's inert document, and refused when the element
// joins the page. Such writes are held and applied through CSSOM once it is in the picker.
let patched = false;
function allowPickerStyles() {
  if (patched) return;
  patched = true;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (name === "style" && this.ownerDocument !== document) {
      this[PENDING] = String(value);
      return undefined;
    }
    if (name === "style" && inPicker(this)) {
      this.style.cssText = String(value);
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
}

function applyPending(node) {
  if (!(node instanceof Element)) return;
  for (const el of [node, ...node.querySelectorAll("*")]) {
    if (el[PENDING] !== undefined) {
      el.style.cssText = el[PENDING];
      delete el[PENDING];
    }
  }
}

function pickerI18n() {
  const cats = ["custom", "smileys-emotion", "people-body", "animals-nature", "food-drink", "travel-places", "activities", "objects", "symbols", "flags"];
  return {
    categoriesLabel: t("emoji.categories_label"),
    emojiUnsupportedMessage: t("emoji.unsupported"),
    favoritesLabel: t("emoji.favorites"),
    loadingMessage: t("emoji.loading"),
    networkErrorMessage: t("emoji.network_error"),
    regionLabel: t("emoji.region"),
    searchDescription: t("emoji.search_description"),
    searchLabel: t("emoji.search"),
    searchResultsLabel: t("emoji.search_results"),
    skinToneDescription: t("emoji.skin_tone_description"),
    skinToneLabel: t("emoji.skin_tone"),
    skinTonesLabel: t("emoji.skin_tones"),
    skinTones: [0, 1, 2, 3, 4, 5].map((i) => t(`emoji.tone.${i}`)),
    categories: Object.fromEntries(cats.map((c) => [c, t(`emoji.cat.${c}`)])),
  };
}

function createPicker({ Picker, data }) {
  const lang = uiLanguage();
  const file = data.files[DATA_FILES[lang]] ? DATA_FILES[lang] : DATA_FILES.en;
  const picker = new Picker({
    dataSource: `${data.path}${file}`,
    locale: file === DATA_FILES[lang] ? lang : "en",
    i18n: pickerI18n(),
  });
  const root = picker.shadowRoot;
  const style = root.querySelector("style");
  if (style) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(style.textContent);
    style.remove(); // before the picker joins the page, so the CSP never sees it
    root.adoptedStyleSheets = [sheet];
  }
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach(applyPending);
  }).observe(root, { childList: true, subtree: true });
  return picker;
}

let open = null; // { panel, anchor, cleanup }

export function closeEmojiPicker({ refocus = true } = {}) {
  if (!open) return;
  const { panel, anchor, cleanup } = open;
  open = null;
  cleanup();
  panel.remove();
  if (refocus && anchor.isConnected) anchor.focus();
}

/** Open the picker beside `anchor`; `onPick(unicode)` gets the chosen emoji. A second
 * call on the same anchor closes it. Escape, a click outside and a pick close it too. */
export async function toggleEmojiPicker(anchor, onPick, { label = t("emoji.region") } = {}) {
  if (open && open.anchor === anchor) {
    closeEmojiPicker();
    return;
  }
  closeEmojiPicker({ refocus: false });
  const panel = h("div", { class: "emoji-panel", role: "dialog", "aria-label": label, "data-testid": "emoji-panel" });
  document.body.append(panel);
  const onKey = (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      closeEmojiPicker();
    }
  };
  const onDown = (e) => {
    if (!e.composedPath().includes(panel) && !e.composedPath().includes(anchor)) closeEmojiPicker({ refocus: false });
  };
  panel.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onDown, true);
  const state = { panel, anchor, cleanup: () => document.removeEventListener("pointerdown", onDown, true) };
  open = state;
  anchor.setAttribute("aria-expanded", "true");
  const cleanup = state.cleanup;
  state.cleanup = () => {
    cleanup();
    anchor.setAttribute("aria-expanded", "false");
  };
  place(panel, anchor);
  let vendor;
  try {
    vendor = await emojiVendor();
  } catch {
    if (open !== state) return;
    panel.append(h("p", { class: "emoji-unavailable", role: "status", tabindex: "-1" }, t("emoji.unavailable")));
    panel.querySelector(".emoji-unavailable").focus();
    return;
  }
  if (open !== state) return;
  const picker = createPicker(vendor);
  picker.addEventListener("emoji-click", (e) => {
    const unicode = e.detail.unicode;
    if (!unicode) return;
    closeEmojiPicker();
    onPick(unicode);
  });
  panel.append(picker);
  place(panel, anchor);
  // The search box is the first stop; the component builds it in its first render.
  requestAnimationFrame(() => picker.shadowRoot.querySelector("input")?.focus());
}

function place(panel, anchor) {
  const r = anchor.getBoundingClientRect();
  const w = panel.offsetWidth;
  const hgt = panel.offsetHeight;
  const left = Math.max(8, Math.min(window.innerWidth - w - 8, r.right - w));
  const below = r.bottom + hgt + 8 <= window.innerHeight;
  panel.style.left = `${left}px`; // CSSOM, not a style attribute: the CSP allows it
  panel.style.top = `${below ? r.bottom + 4 : Math.max(8, r.top - hgt - 4)}px`;
}

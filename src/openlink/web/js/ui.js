// Shared pieces of UI: avatars, dialogs, menus, toasts, the screen-reader announcer and
// the text of errors.

import { h, icon, safeUrl } from "./dom.js";
import { t } from "./i18n.js";
import { hueClass, initials } from "./util.js";

export function avatar(name, url, id, size = "md") {
  const src = safeUrl(url);
  if (src && !src.startsWith("#") && !src.startsWith("mailto:")) {
    return h("img", { class: `avatar avatar-${size}`, src, alt: "", referrerpolicy: "no-referrer", loading: "lazy" });
  }
  return h("span", { class: `avatar avatar-${size} ${hueClass(id || name)}`, "aria-hidden": "true" }, initials(name));
}

/** The localized text of an API error: known codes first, else the server's own words. */
export function errorText(err) {
  if (!err) return t("error.generic");
  const key = `error.${err.code}`;
  const text = t(key, err.details || {});
  if (text !== key) return text;
  return err.message || t("error.generic");
}

let toastRegion = null;
export function toast(text, kind = "info") {
  if (!toastRegion) {
    toastRegion = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toastRegion);
  }
  const el = h("div", { class: `toast toast-${kind}` }, text);
  toastRegion.append(el);
  setTimeout(() => el.classList.add("leaving"), 3600);
  setTimeout(() => el.remove(), 4000);
}

let announcer = null;
/** Read text aloud through a polite live region (new messages, state changes). */
export function announce(text) {
  if (!announcer) {
    announcer = h("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "false" });
    document.body.append(announcer);
  }
  const line = h("p", null, text);
  announcer.append(line);
  while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
}

/**
 * A modal dialog on <dialog>: focus stays inside, Esc closes. Returns {el, close, body}.
 * `actions` is [{label, kind, onClick(close) }]; onClick may return a promise.
 */
export function openDialog({ title, body, actions = [], onClose, className = "" }) {
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const dlg = h("dialog", { class: `dialog ${className}`, "aria-labelledby": titleId });
  const close = () => {
    if (dlg.open) dlg.close();
  };
  dlg.addEventListener("close", () => {
    dlg.remove();
    onClose?.();
  });
  dlg.addEventListener("click", (e) => {
    if (e.target === dlg) close(); // a click on the backdrop
  });
  const footer = h(
    "div",
    { class: "dialog-actions" },
    actions.map((a) =>
      h("button", {
        type: "button",
        class: `btn ${a.kind === "primary" ? "btn-primary" : a.kind === "danger" ? "btn-danger" : "btn-ghost"}`,
        onclick: () => (a.onClick ? a.onClick(close) : close()),
      }, a.label),
    ),
  );
  append2(dlg, h("div", { class: "dialog-head" },
    h("h2", { id: titleId }, title),
    h("button", { type: "button", class: "icon-btn", "aria-label": t("common.close"), onclick: close }, icon("close")),
  ), h("div", { class: "dialog-body" }, body), actions.length ? footer : null);
  document.body.append(dlg);
  dlg.showModal();
  return { el: dlg, close };
}

function append2(el, ...children) {
  for (const c of children) if (c) el.append(c);
}

export function confirmDialog(title, text, confirmLabel, danger = false) {
  return new Promise((resolve) => {
    let answered = false;
    openDialog({
      title,
      body: h("p", null, text),
      actions: [
        { label: t("common.cancel"), onClick: (close) => close() },
        { label: confirmLabel, kind: danger ? "danger" : "primary", onClick: (close) => { answered = true; close(); } },
      ],
      onClose: () => resolve(answered),
    });
  });
}

let openMenu = null;
/**
 * A small menu beside `anchor`: items [{label, onSelect, danger}] or a custom element.
 * Arrow keys move, Esc closes and returns focus to the anchor.
 */
export function popupMenu(anchor, items, { label, className = "" } = {}) {
  closeMenu();
  const menu = h("div", { class: `menu ${className}`, role: "menu", "aria-label": label || "" });
  for (const item of items) {
    if (item instanceof Node) {
      menu.append(item);
      continue;
    }
    menu.append(h("button", {
      type: "button",
      role: "menuitem",
      class: `menu-item ${item.danger ? "danger" : ""}`,
      tabindex: "-1",
      onclick: () => {
        closeMenu();
        item.onSelect();
      },
    }, item.icon ? icon(item.icon) : null, item.label));
  }
  document.body.append(menu);
  const r = anchor.getBoundingClientRect();
  const mw = menu.offsetWidth;
  const mh = menu.offsetHeight;
  const left = Math.max(8, Math.min(window.innerWidth - mw - 8, r.right - mw));
  const top = r.bottom + mh + 8 > window.innerHeight ? Math.max(8, r.top - mh - 4) : r.bottom + 4;
  menu.style.left = `${left}px`; // CSSOM, not an inline style attribute: CSP allows it
  menu.style.top = `${top}px`;
  const focusables = () => [...menu.querySelectorAll("[role=menuitem], button")];
  const onKey = (e) => {
    const list = focusables();
    const i = list.indexOf(document.activeElement);
    if (e.key === "Escape") {
      e.preventDefault();
      closeMenu();
      anchor.focus();
    } else if (e.key === "ArrowDown" || e.key === "ArrowRight") {
      e.preventDefault();
      list[(i + 1) % list.length]?.focus();
    } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
      e.preventDefault();
      list[(i - 1 + list.length) % list.length]?.focus();
    } else if (e.key === "Tab") {
      closeMenu();
    }
  };
  const onDown = (e) => {
    if (!menu.contains(e.target) && e.target !== anchor && !anchor.contains(e.target)) closeMenu();
  };
  menu.addEventListener("keydown", onKey);
  setTimeout(() => document.addEventListener("pointerdown", onDown), 0);
  openMenu = { menu, cleanup: () => document.removeEventListener("pointerdown", onDown) };
  focusables()[0]?.focus();
  return menu;
}

export function closeMenu() {
  if (!openMenu) return;
  openMenu.cleanup();
  openMenu.menu.remove();
  openMenu = null;
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

export const READING_LANGUAGES = [
  "en", "ko", "ja", "zh", "zh-Hant", "es", "pt", "pt-BR", "fr", "de", "it", "ru", "vi", "th",
  "id", "tr", "ar", "hi", "nl", "pl", "uk", "sv",
];

// DOM helpers for the host tools. User text only ever goes in through text nodes or
// attribute values, never through HTML parsing, and nothing here sets inline styles
// (the page's CSP forbids them).

import { append, h } from "../dom.js";

let nextId = 0;

/** A fresh element id for pairing a label with its control. */
export function uid(prefix = "hx") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// The app's h(tag, attrs, ...children): children become text nodes, href/src must be
// http(s) or relative, and style/innerHTML are refused. The helpers below build on it.
export { h };

/** Replace every child of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/** A labelled control: <div class="ht-field"><label for>…</label>control hint</div>. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  const parts = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hintEl = h("small", { class: "ht-hint", id: uid("hint") }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    parts.push(hintEl);
  }
  return h("div", { class: "ht-field" }, parts);
}

/** A checkbox inside its own label. Returns the label; the input is label.input. */
export function checkbox(label, checked, props = {}) {
  const input = h("input", { type: "checkbox", checked: Boolean(checked), ...props });
  const wrap = h("label", { class: "ht-check" }, input, h("span", null, label));
  wrap.input = input;
  return wrap;
}

/** <select> from [{value, label}]; value is matched as a string. */
export function select(options, value, props = {}) {
  const el = h("select", props);
  setOptions(el, options, value);
  return el;
}

export function setOptions(el, options, value) {
  el.replaceChildren(
    ...options.map((o) =>
      h("option", { value: String(o.value), selected: String(o.value) === String(value) }, o.label),
    ),
  );
}

export function button(label, onclick, { kind = "", ...props } = {}) {
  const cls = ["ht-btn", kind && `ht-btn-${kind}`].filter(Boolean).join(" ");
  return h("button", { type: "button", class: cls, onclick, ...props }, label);
}

/** An inline error line: announced to screen readers, empty (and hidden) when no error. */
export function errorLine() {
  return h("p", { class: "ht-error", role: "alert", hidden: true });
}

/** A polite status line ("Saved", "Copied"). */
export function statusLine() {
  return h("p", { class: "ht-status", role: "status", "aria-live": "polite" });
}

export function showError(el, err) {
  if (!el) return;
  if (!err) {
    el.textContent = "";
    el.hidden = true;
    return;
  }
  el.textContent = err.message || String(err);
  if (err.code) el.dataset.code = err.code;
  el.hidden = false;
}

/**
 * Run an async action from a button: disable it while it runs, clear the error line
 * first, show a failure in it. Resolves to the action's result, or undefined on failure.
 */
export async function act(btn, errEl, fn) {
  showError(errEl, null);
  if (btn) btn.disabled = true;
  if (btn) btn.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } catch (err) {
    showError(errEl, err);
    return undefined;
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
    }
  }
}

/** Say something in a status line for a few seconds. */
export function flash(el, text) {
  el.textContent = text;
  clearTimeout(el.flashTimer);
  el.flashTimer = setTimeout(() => {
    el.textContent = "";
  }, 4000);
}

// One picture at a time over the page: ←/→ or a swipe for the others, Esc or the close
// button to leave, a click (or +/-) to zoom in and out; focus returns where it was.

import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { variantUrl } from "./view.js";

const SWIPE_PX = 50;

export function openLightbox(pictures, start = 0) {
  let index = start;
  let zoomed = false;
  const before = document.activeElement;
  const img = h("img", { class: "lightbox-img", alt: "", draggable: "false", "data-testid": "lightbox-img" });
  const counter = h("span", { class: "lightbox-count", "aria-live": "polite" });
  const stage = h("div", { class: "lightbox-stage" }, img);
  const prev = h("button", { type: "button", class: "icon-btn lightbox-prev", "aria-label": t("media.previous"), onclick: () => go(-1) }, icon("back"));
  const next = h("button", { type: "button", class: "icon-btn lightbox-next", "aria-label": t("media.next"), onclick: () => go(1) }, icon("forward"));
  const close = h("button", { type: "button", class: "icon-btn lightbox-close", "aria-label": t("common.close"), onclick: () => done() }, icon("close"));
  const box = h("div", { class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": t("media.photo"), "data-testid": "lightbox", tabindex: "-1" },
    stage, prev, next, close, counter);

  function show() {
    const m = pictures[index];
    img.src = variantUrl(m, "full", "large", "medium", "original") || "";
    img.alt = m.name || t("media.photo");
    counter.textContent = pictures.length > 1 ? `${index + 1} / ${pictures.length}` : "";
    prev.hidden = next.hidden = pictures.length < 2;
    setZoom(false);
  }
  function go(step) {
    index = (index + step + pictures.length) % pictures.length;
    show();
  }
  function setZoom(on) {
    zoomed = on;
    box.classList.toggle("zoomed", on);
    img.setAttribute("aria-label", on ? t("media.zoom_out") : t("media.zoom_in"));
  }
  function done() {
    document.removeEventListener("keydown", onKey, true);
    box.remove();
    if (before && before.focus) before.focus();
  }
  function onKey(e) {
    if (e.key === "Escape") done();
    else if (e.key === "ArrowLeft") go(-1);
    else if (e.key === "ArrowRight") go(1);
    else if (e.key === "+" || e.key === "=") setZoom(true);
    else if (e.key === "-") setZoom(false);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
  let downX = null;
  let downY = null;
  let downTarget = null;
  stage.addEventListener("dragstart", (e) => e.preventDefault());
  stage.addEventListener("pointerdown", (e) => {
    downX = e.clientX;
    downY = e.clientY;
    downTarget = e.target;
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener("pointercancel", () => {
    downX = null;
  });
  stage.addEventListener("pointerup", (e) => {
    if (downX === null) return;
    const dx = e.clientX - downX;
    const dy = e.clientY - downY;
    downX = null;
    if (!zoomed && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) go(dx < 0 ? 1 : -1);
    else if (Math.abs(dx) < 8 && Math.abs(dy) < 8 && downTarget === img) setZoom(!zoomed);
    else if (Math.abs(dx) < 8 && Math.abs(dy) < 8 && downTarget === stage) done();
  });
  document.addEventListener("keydown", onKey, true);
  document.body.append(box);
  show();
  box.focus();
  return { close: done };
}

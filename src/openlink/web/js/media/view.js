// Attachments as DOM: pictures in a grid (1, 2, 3, 4 and more) with their space reserved
// from width/height and the blurhash behind them, a video player with its poster, a voice
// message with its waveform, file chips that download. URLs are the server's signed ones,
// so <img>, <video> and <audio> load them directly.

import { h, icon, safeUrl } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { blurhashUrl } from "./blurhash.js";
import { openLightbox } from "./lightbox.js";

const GRID_MAX = 4;

// Signed URLs expire (in 2–3 hours): an element whose URL was refused asks for the
// upload's view again, once, and takes the fresh URL of the same variant.
let refresher = null;
export function setMediaRefresher(fn) {
  refresher = fn;
}

function renewOnError(el, m, names, prop = "src") {
  let tried = false;
  el.addEventListener("error", async () => {
    if (tried || !refresher || !m.id) return;
    tried = true;
    try {
      const fresh = await refresher(m.id);
      const url = safeUrl(variantUrl(fresh, ...names));
      if (url) el[prop] = url;
      m.variants = fresh.variants;
    } catch {
      /* gone, or no longer readable: the broken element stays */
    }
  });
  return el;
}

/** The URL of the first of `names` the view has, else its first variant's. */
export function variantUrl(m, ...names) {
  const v = m.variants || {};
  for (const n of names) if (v[n] && v[n].url) return v[n].url;
  return null;
}

export function formatSize(bytes) {
  if (bytes < 1024) return t("media.bytes", { n: bytes });
  if (bytes < 1024 * 1024) return t("media.kb", { n: formatNumber(Math.round(bytes / 102.4) / 10) });
  return t("media.mb", { n: formatNumber(Math.round(bytes / (1024 * 102.4)) / 10) });
}

export function clock(ms) {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Reserve the picture's shape (so the list does not jump when it loads). */
function reserve(el, m) {
  if (m.width && m.height) el.style.aspectRatio = `${m.width} / ${m.height}`;
  const blur = blurhashUrl(m.blurhash);
  if (blur) el.style.backgroundImage = `url("${blur}")`;
}

function tile(m, i, all, extra) {
  const src = variantUrl(m, all.length === 1 ? "large" : "medium", "medium", "small", "full", "original");
  const img = h("img", {
    src,
    alt: m.name || t("media.photo"),
    loading: "lazy",
    decoding: "async",
    width: m.width || null,
    height: m.height || null,
  });
  renewOnError(img, m, [all.length === 1 ? "large" : "medium", "medium", "small", "full", "original"]);
  const btn = h("button", {
    type: "button",
    class: "media-tile",
    "data-testid": "media-photo",
    "aria-label": t("media.open_photo", { i: i + 1, count: all.length }),
    onclick: () => openLightbox(all, i),
  }, img, extra ? h("span", { class: "media-more" }, `+${extra}`) : null);
  reserve(btn, m);
  return btn;
}

function grid(pictures) {
  const shown = pictures.slice(0, GRID_MAX);
  const extra = pictures.length - shown.length;
  return h("div", { class: `media-grid n${shown.length}` },
    shown.map((m, i) => tile(m, i, pictures, i === shown.length - 1 && extra > 0 ? extra : 0)));
}

function video(m) {
  const el = h("video", {
    class: "media-video",
    "data-testid": "media-video",
    controls: true,
    preload: "metadata",
    playsinline: true,
    poster: null,
    src: variantUrl(m, "video", "original"),
    width: m.width || null,
    height: m.height || null,
  });
  renewOnError(el, m, ["video", "original"]);
  const poster = variantUrl(m, "poster");
  if (safeUrl(poster)) el.poster = safeUrl(poster);
  if (m.width && m.height) el.style.aspectRatio = `${m.width} / ${m.height}`;
  return h("div", { class: "media-video-wrap" }, el);
}

/** A voice message: play/pause, the waveform (played part coloured; click to seek), time. */
export function voicePlayer(m, { src = variantUrl(m, "voice", "original"), waveform = m.waveform } = {}) {
  const audio = renewOnError(h("audio", { preload: "metadata", src }), m, ["voice", "original"]);
  const bars = (waveform && waveform.length ? waveform : new Array(48).fill(40)).map((v) => {
    const bar = h("span", { class: "wave-bar" });
    bar.style.height = `${Math.max(8, Math.round((v / 255) * 100))}%`;
    return bar;
  });
  const wave = h("div", { class: "wave", role: "slider", tabindex: "0", "aria-label": t("media.position"), "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bars);
  const time = h("span", { class: "voice-time" }, clock(m.duration_ms));
  const play = h("button", { type: "button", class: "icon-btn voice-play", "data-testid": "voice-play", "aria-label": t("media.play") }, icon("play"));
  const duration = () => (Number.isFinite(audio.duration) ? audio.duration * 1000 : m.duration_ms || 0);
  const paint = () => {
    const frac = duration() ? (audio.currentTime * 1000) / duration() : 0;
    const upto = Math.round(frac * bars.length);
    bars.forEach((b, i) => b.classList.toggle("played", i < upto));
    wave.setAttribute("aria-valuenow", String(Math.round(frac * 100)));
    time.textContent = audio.paused && !audio.currentTime ? clock(duration()) : clock(audio.currentTime * 1000);
  };
  play.addEventListener("click", () => (audio.paused ? audio.play().catch(() => {}) : audio.pause()));
  audio.addEventListener("play", () => {
    play.replaceChildren(icon("pause"));
    play.setAttribute("aria-label", t("media.pause"));
  });
  audio.addEventListener("pause", () => {
    play.replaceChildren(icon("play"));
    play.setAttribute("aria-label", t("media.play"));
  });
  audio.addEventListener("timeupdate", paint);
  audio.addEventListener("loadedmetadata", paint);
  audio.addEventListener("ended", () => {
    audio.currentTime = 0;
    paint();
  });
  const seek = (frac) => {
    if (duration()) audio.currentTime = (Math.min(1, Math.max(0, frac)) * duration()) / 1000;
    paint();
  };
  wave.addEventListener("click", (e) => {
    const r = wave.getBoundingClientRect();
    seek((e.clientX - r.left) / r.width);
  });
  wave.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    const frac = duration() ? (audio.currentTime * 1000) / duration() : 0;
    seek(frac + (e.key === "ArrowRight" ? 0.05 : -0.05));
  });
  return h("div", { class: "media-voice", "data-testid": "media-voice" }, play, wave, time, audio);
}

export function fileChip(m, { href = variantUrl(m, "original") } = {}) {
  return h(href ? "a" : "div", {
    class: "media-file",
    "data-testid": "media-file",
    href,
    download: href ? m.name || "file" : null,
  }, icon("file"), h("span", { class: "file-text" },
    h("span", { class: "file-name" }, m.name || "file"),
    h("span", { class: "file-size" }, formatSize(m.size || 0))),
  href ? icon("download") : null);
}

/** Whether the view's URLs are signed: those a browser loads without a token. The
 * hidden-message review carries unsigned ones (read with the token): a plain chip. */
function loadable(m) {
  const first = Object.values(m.variants || {})[0];
  return Boolean(first && typeof first.url === "string" && first.url.includes("?e="));
}

/** Whether the view has what plays or downloads it. A room's preview shows visitors
 * only small pictures of its attachments (no name, nothing that plays). */
function whole(m) {
  const v = m.variants || {};
  if (m.kind === "video") return Boolean(v.video || v.original);
  if (m.kind === "voice") return Boolean(v.voice || v.original);
  if (m.kind === "file") return Boolean(v.original);
  return true;
}

/** What a visitor sees of a video, voice message or file: what it is and how long or
 * large, over the video's poster when there is one; joining the room plays it. */
function placeholder(m) {
  const label = m.kind === "video" ? t("media.video") : m.kind === "voice" ? t("media.voice") : t("media.file");
  const extent = m.kind === "file" ? formatSize(m.size || 0) : m.duration_ms ? clock(m.duration_ms) : "";
  const text = extent ? `${label} · ${extent}` : label;
  const poster = safeUrl(variantUrl(m, "poster"));
  const el = h("div", { class: `media-placeholder${poster ? " has-poster" : ""}`, "data-testid": "media-placeholder", role: "img", "aria-label": text },
    icon(m.kind === "video" ? "play" : m.kind === "voice" ? "mic" : "file"),
    h("span", { class: "placeholder-text" }, text));
  if (poster) {
    el.style.backgroundImage = `url("${poster}")`;
    if (m.width && m.height) el.style.aspectRatio = `${m.width} / ${m.height}`;
  }
  return el;
}

/** A message's attachments, in order, pictures gathered into one grid. */
export function renderAttachments(list) {
  if (!list || !list.length) return null;
  const pictures = list.filter((m) => m.kind === "image" && loadable(m));
  const out = [];
  if (pictures.length) out.push(grid(pictures));
  for (const m of list) {
    if (m.kind === "image" && loadable(m)) continue;
    if (!whole(m)) out.push(placeholder(m));
    else if (!loadable(m)) out.push(fileChip(m, { href: null }));
    else if (m.kind === "video") out.push(video(m));
    else if (m.kind === "voice") out.push(voicePlayer(m));
    else out.push(fileChip(m));
  }
  return h("div", { class: "msg-media" }, out);
}

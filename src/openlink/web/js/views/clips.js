// Clips: a full-height feed of short vertical videos, one per screen (scroll snap).
// #/clips is "for you"; #/clips?interest={id} an interest's newest clips; #/clips?room={id}
// a room's (members; the link a `clip_posted` line in the room gives, with `clip`).
// A clip plays muted while it is in view and pauses when it leaves; the next one is
// preloaded. Keys: ↓/↑ next/previous, space play/pause, m sound on/off; a swipe is the
// scroll itself. The post form uploads a video (to no room for an interest, or to the
// room chosen) and posts it once processed.

import { h, icon, replaceChildren } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { avatar, errorText, openDialog, toast } from "../ui.js";
import { primaryLang } from "../util.js";

const PAGE = 5;
const READY_POLL_MS = 1500;
const VIEW_AFTER_MS = 1000;

export function mountClips(app, container, query) {
  const params = new URLSearchParams(query || "");
  const interest = params.get("interest");
  const roomId = interest ? null : params.get("room");
  let shownClip = roomId ? params.get("clip") : null; // scrolled to once loaded
  let next = null;
  let loading = false;
  let done = false;
  let muted = true;
  const viewed = new Set();
  const feed = h("div", { class: "clips-feed", "data-testid": "clips-feed", tabindex: "0", "aria-label": t("clips.feed") });
  const empty = h("p", { class: "muted clips-empty", hidden: true }, t("clips.empty"));
  const el = h("div", { class: "clips-page" },
    h("header", { class: "clips-head" },
      h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")),
      h("h2", null, interest ? t("clips.interest") : roomId ? t("clips.room") : t("clips.for_you")),
      interest || roomId ? h("a", { class: "btn btn-ghost", href: "#/clips" }, t("clips.for_you")) : null,
      h("button", { type: "button", class: "btn btn-primary", "data-testid": "clip-post-open", onclick: () => openPostForm(app, interest) },
        icon("plus"), h("span", { class: "label" }, t("clips.post"))),
    ),
    feed, empty,
  );
  replaceChildren(container, el);

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const video = entry.target.querySelector("video");
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
        entry.target.dataset.inView = "true";
        video.muted = muted;
        video.play().catch(() => {});
        const after = entry.target.nextElementSibling;
        if (after) after.querySelector("video").preload = "auto";
        if (!after) loadMore();
        countView(entry.target);
      } else {
        entry.target.dataset.inView = "false";
        video.pause();
      }
    }
  }, { root: feed, threshold: [0, 0.6] });

  function countView(card) {
    const id = card.dataset.clip;
    if (viewed.has(id)) return;
    setTimeout(() => {
      if (card.dataset.inView !== "true" || viewed.has(id)) return;
      viewed.add(id);
      app.api.post(`/api/clips/${id}/views`).catch(() => {});
    }, VIEW_AFTER_MS);
  }

  async function loadMore() {
    if (loading || done) return;
    loading = true;
    try {
      const page = interest
        ? await app.api.get("/api/clips", { interest, cursor: next, limit: PAGE })
        : roomId
          ? await app.api.get(`/api/rooms/${encodeURIComponent(roomId)}/clips`, { cursor: next, limit: PAGE })
          : await app.api.get("/api/clips/for-you", { cursor: next, limit: PAGE });
      for (const clip of page.clips) {
        const card = clipCard(app, clip);
        feed.append(card);
        observer.observe(card);
      }
      if (shownClip) {
        const card = [...feed.children].find((c) => c.dataset.clip === shownClip);
        if (card) {
          card.scrollIntoView({ block: "start" });
          shownClip = null;
        }
      }
      next = page.next;
      done = !next;
      empty.hidden = feed.childElementCount > 0;
    } catch (err) {
      toast(errorText(err), "error");
      done = true;
    } finally {
      loading = false;
    }
  }

  function current() {
    return feed.querySelector(".clip[data-in-view=true]") || feed.firstElementChild;
  }

  function onKey(e) {
    if (e.target.closest("input, textarea, select, dialog")) return;
    const card = current();
    if (!card) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const to = e.key === "ArrowDown" ? card.nextElementSibling : card.previousElementSibling;
      to?.scrollIntoView({ behavior: "smooth", block: "start" });
    } else if (e.key === " ") {
      e.preventDefault();
      const video = card.querySelector("video");
      if (video.paused) video.play().catch(() => {});
      else video.pause();
    } else if (e.key === "m" || e.key === "M") {
      muted = !muted;
      for (const video of feed.querySelectorAll("video")) video.muted = muted;
    }
  }
  document.addEventListener("keydown", onKey);
  loadMore();
  feed.focus();

  return {
    destroy() {
      observer.disconnect();
      document.removeEventListener("keydown", onKey);
      for (const video of feed.querySelectorAll("video")) video.pause();
    },
  };
}

function clipCard(app, clip) {
  const variants = clip.video.variants || {};
  const source = (variants.video || variants.original || {}).url;
  const poster = variants.poster ? variants.poster.url : null;
  const video = h("video", { class: "clip-video", src: source, poster, muted: true, loop: true, playsinline: true, preload: "metadata", "data-testid": "clip-video" });
  video.muted = true;
  video.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
  const likes = h("span", { class: "clip-count" }, formatNumber(clip.likes));
  const like = h("button", { type: "button", class: "clip-action", "aria-pressed": String(clip.liked), "aria-label": t("clips.like"), "data-testid": "clip-like" },
    icon("heart"), likes);
  like.addEventListener("click", async () => {
    const liked = like.getAttribute("aria-pressed") !== "true";
    try {
      const got = await app.api.put(`/api/clips/${clip.id}/like`, { liked });
      like.setAttribute("aria-pressed", String(got.liked));
      likes.textContent = formatNumber(got.likes);
    } catch (err) {
      toast(errorText(err), "error");
    }
  });
  const comment = clip.comments_in === "room" && clip.room
    ? h("a", { class: "clip-action", href: `#/room/${clip.room.id}`, "aria-label": t("clips.in_room", { room: clip.room.name }) }, icon("chat"))
    : h("button", { type: "button", class: "clip-action", "aria-label": t("clips.comments"), onclick: () => openComments(app, clip) },
      icon("chat"), h("span", { class: "clip-count" }, formatNumber(clip.comments)));
  const share = h("button", { type: "button", class: "clip-action", "aria-label": t("clips.share"), onclick: () => shareClip(clip) }, icon("link"));
  return h("section", { class: "clip", "data-clip": clip.id, "data-testid": "clip" },
    video,
    h("div", { class: "clip-info" },
      h("div", { class: "clip-poster" }, avatar(clip.poster.nickname, clip.poster.avatar_url, clip.id, "sm"),
        h("strong", { dir: "auto" }, clip.poster.nickname),
        clip.interest ? h("span", { class: "tag" }, `#${clip.interest}`) : null,
        clip.room ? h("span", { class: "tag" }, clip.room.name) : null),
      clip.caption ? captionOf(app, clip) : null,
    ),
    h("div", { class: "clip-actions" }, like, comment, share),
  );
}

/** The caption, and a button for it in the reader's own language when it is another. */
function captionOf(app, clip) {
  const text = h("p", { class: "clip-caption", dir: "auto", lang: clip.lang || null }, clip.caption);
  const mine = primaryLang(app.state.user && app.state.user.language);
  if (!clip.lang || !mine || primaryLang(clip.lang) === mine || !app.state.translation?.configured) return text;
  const button = h("button", { type: "button", class: "btn btn-ghost clip-translate", "data-testid": "clip-translate" }, t("clips.translate"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const got = await app.api.get(`/api/clips/${clip.id}/translation`);
      text.textContent = got.caption;
      text.lang = got.lang;
      button.remove();
    } catch (err) {
      toast(errorText(err), "error");
      button.disabled = false;
    }
  });
  return h("div", null, text, button);
}

async function shareClip(clip) {
  const url = `${location.origin}/c/${clip.id}`;
  try {
    if (navigator.share) await navigator.share({ url });
    else {
      await navigator.clipboard.writeText(url);
      toast(t("clips.link_copied"));
    }
  } catch {
    /* the person closed the share sheet */
  }
}

function openComments(app, clip) {
  const list = h("ul", { class: "clip-comments", "data-testid": "clip-comments" });
  const input = h("input", { type: "text", maxlength: 500, placeholder: t("clips.comment_placeholder"), "aria-label": t("clips.comments") });
  const form = h("form", { class: "clip-comment-form", onsubmit: async (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    try {
      const added = await app.api.post(`/api/clips/${clip.id}/comments`, { body });
      list.append(commentItem(added));
      input.value = "";
    } catch (err) {
      toast(errorText(err), "error");
    }
  } }, input, h("button", { type: "submit", class: "btn btn-primary" }, t("clips.send")));
  openDialog({ title: t("clips.comments"), body: h("div", null, list, form) });
  app.api.get(`/api/clips/${clip.id}/comments`).then((page) => {
    for (const c of page.comments) list.append(commentItem(c));
  }).catch((err) => toast(errorText(err), "error"));
}

function commentItem(c) {
  return h("li", null, h("strong", { dir: "auto" }, c.author.nickname), " ", h("span", { dir: "auto" }, c.body));
}

function openPostForm(app, interest) {
  const file = h("input", { type: "file", accept: "video/*", name: "video", required: true, "data-testid": "clip-file" });
  const caption = h("textarea", { name: "caption", maxlength: 300, rows: 2, "data-testid": "clip-caption" });
  const target = h("select", { name: "target", "data-testid": "clip-target" });
  const interestInput = h("input", { type: "search", name: "interest", placeholder: t("clips.interest_placeholder"), list: "clip-interests", "data-testid": "clip-interest" });
  const options = h("datalist", { id: "clip-interests" });
  const chosen = new Map();
  target.append(h("option", { value: "" }, t("clips.to_interest")));
  for (const room of app.state.rooms.values()) target.append(h("option", { value: room.id }, room.name));
  interestInput.addEventListener("input", async () => {
    const q = interestInput.value.trim();
    if (!q) return;
    try {
      const found = await app.api.get("/api/interests", { q });
      options.replaceChildren(...found.interests.map((i) => {
        chosen.set(i.name, i.id);
        return h("option", { value: i.name });
      }));
    } catch {
      /* typing goes on */
    }
  });
  if (interest) chosen.set("", interest);
  const status = h("p", { class: "muted", "aria-live": "polite", "data-testid": "clip-status" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "clip-submit" }, t("clips.post"));
  const form = h("form", { class: "clip-form", onsubmit: (e) => { e.preventDefault(); post(); } },
    h("label", null, t("clips.video"), file),
    h("label", null, t("clips.caption"), caption),
    h("label", null, t("clips.where"), target),
    h("label", null, t("clips.interest"), interestInput, options),
    status, submit);
  const dialog = openDialog({ title: t("clips.post"), body: form });

  async function post() {
    const video = file.files[0];
    if (!video) return;
    const room = target.value || null;
    const interestId = room ? null : chosen.get(interestInput.value.trim()) || chosen.get("");
    if (!room && !interestId) {
      status.textContent = t("clips.pick_target");
      return;
    }
    submit.disabled = true;
    try {
      status.textContent = t("clips.uploading");
      let media = await app.api.request("POST", "/api/media", {
        body: video,
        params: { kind: "video", name: video.name, room },
      });
      status.textContent = t("clips.processing");
      while (media.state === "pending") {
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
        media = await app.api.get(`/api/media/${media.id}`);
      }
      const clip = await app.api.post("/api/clips", {
        media: media.id,
        caption: caption.value,
        ...(room ? { room } : { interest: interestId }),
      });
      status.textContent = t("clips.posted");
      dialog?.close?.();
      location.hash = room ? `#/clips` : `#/clips?interest=${encodeURIComponent(interestId)}`;
      return clip;
    } catch (err) {
      status.textContent = errorText(err);
    } finally {
      submit.disabled = false;
    }
  }
}

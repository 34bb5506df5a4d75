// One message as DOM: sender, body (mentions and links as text nodes and anchors),
// its detected language, the translation with its one-tap toggle, reactions and actions.

import { h, icon } from "../dom.js";
import { formatTime, languageName, t } from "../i18n.js";
import { renderAttachments } from "../media/view.js";
import { avatar } from "../ui.js";
import { primaryLang, splitLinks } from "../util.js";

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export function memberName(rs, id) {
  if (!id) return t("chat.bot");
  const m = rs.members.get(id);
  return m ? m.nickname : t("chat.unknown_member");
}

/** The body as text nodes, with @mentions highlighted and http(s) links as anchors. */
function bodyNodes(rs, text, msg, linkify) {
  const names = [];
  for (const id of msg.mentions || []) {
    const m = rs.members.get(id);
    if (m) names.push({ tag: `@${m.nickname}`, me: rs.me && id === rs.me.id });
  }
  const out = [];
  const pushText = (s) => {
    if (!s) return;
    if (!linkify) {
      out.push(s);
      return;
    }
    for (const piece of splitLinks(s)) {
      if (piece.url) {
        out.push(h("a", { href: piece.url, target: "_blank", rel: "noopener noreferrer nofollow ugc" }, piece.url));
      } else {
        out.push(piece.text);
      }
    }
  };
  let rest = text;
  while (rest) {
    let best = null;
    for (const n of names) {
      const i = rest.indexOf(n.tag);
      if (i >= 0 && (!best || i < best.i)) best = { i, n };
    }
    if (!best) {
      pushText(rest);
      break;
    }
    pushText(rest.slice(0, best.i));
    out.push(h("span", { class: `mention ${best.n.me ? "mention-me" : ""}` }, best.n.tag));
    rest = rest.slice(best.i + best.n.tag.length);
  }
  return out;
}

export function systemText(rs, msg) {
  const s = msg.system || {};
  let who;
  if (s.event === "joined" && s.profile) who = s.profile.nickname;
  else if (s.event === "host_changed") who = memberName(rs, s.to);
  else who = memberName(rs, s.member || msg.member);
  const key = `system.${s.event}`;
  const text = t(key, { name: who, by: s.by || "" });
  return text === key ? t("system.other") : text;
}

/** A shared clip's way into the room's clip feed (which opens on the newest). */
function clipLink(msg) {
  const s = msg.system || {};
  if (s.event !== "clip_posted" || !s.clip) return null;
  const query = new URLSearchParams({ room: msg.room, clip: s.clip });
  return h("a", { class: "msg-system-link", href: `#/clips?${query}`, "data-testid": "clip-posted-link" }, t("clips.watch"));
}

function langChip(msg) {
  if (!msg.lang) return null;
  const name = languageName(msg.lang);
  return h("span", {
    class: "msg-lang",
    "data-lang": msg.lang,
    title: t("chat.written_in", { lang: name }),
    "aria-label": t("chat.written_in", { lang: name }),
  }, msg.lang.toUpperCase());
}

function quote(ctx, msg) {
  if (!msg.reply_to) return null;
  const target = ctx.rs.msgs.get(msg.reply_to);
  let preview = t("chat.reply_unavailable");
  let who = "";
  if (target) {
    who = target.kind === "bot" ? t("chat.bot") : memberName(ctx.rs, target.member);
    preview = target.deleted ? t("chat.deleted") : target.hidden ? t("chat.hidden")
      : target.body || (target.media && target.media.length ? t("media.attachment", { n: target.media.length }) : "");
  }
  return h("button", {
    type: "button",
    class: "msg-quote",
    "aria-label": t("chat.jump_to_reply", { name: who || "?" }),
    onclick: () => ctx.onJumpTo(msg.reply_to),
  }, who ? h("strong", null, who) : null, h("span", { class: "quote-text" }, preview.slice(0, 140)));
}

function reactions(ctx, msg) {
  const entries = Object.entries(msg.reactions || {});
  if (!entries.length) return null;
  const mine = ctx.rs.myReactions.get(msg.seq) || new Set();
  return h("div", { class: "msg-reactions", role: "group", "aria-label": t("chat.reactions") },
    entries.map(([emoji, n]) =>
      h("button", {
        type: "button",
        class: `reaction ${mine.has(emoji) ? "mine" : ""}`,
        "aria-pressed": mine.has(emoji) ? "true" : "false",
        "aria-label": t("chat.reaction_count", { emoji, n }),
        disabled: ctx.readOnly,
        onclick: () => ctx.onReact(msg, emoji),
      }, h("span", { class: "reaction-emoji" }, emoji), h("span", { class: "reaction-n" }, String(n))),
    ),
  );
}

function translationParts(ctx, msg) {
  const tr = ctx.rs.translationFor(msg);
  const foreign = msg.lang && primaryLang(msg.lang) !== ctx.myLang;
  const status = ctx.trStatus.get(msg.seq);
  if (tr) {
    const showOriginal = ctx.showOriginal.has(msg.seq);
    const from = languageName(tr.source_lang || msg.lang);
    const toggle = h("button", {
      type: "button",
      class: "link-btn tr-toggle",
      "aria-pressed": showOriginal ? "true" : "false",
      onclick: () => ctx.onToggleOriginal(msg),
    }, ctx.mode === "both"
      ? (showOriginal ? t("chat.show_translation") : t("chat.hide_translation"))
      : (showOriginal ? t("chat.show_translation") : t("chat.show_original")));
    return { tr, showOriginal, label: t("chat.translated_from", { lang: from }), toggle };
  }
  if (!foreign || msg.kind === "system") return { note: null };
  if ((status && status.state === "loading") || (ctx.fresh && ctx.fresh.has(msg.seq))) {
    return { note: h("span", { class: "tr-note", role: "status" }, t("chat.translating")) };
  }
  if (status && status.state === "error") {
    return { note: h("span", { class: "tr-note tr-error", role: "alert" }, status.text) };
  }
  if (ctx.engineOn) {
    return { note: h("button", { type: "button", class: "link-btn tr-ask", onclick: () => ctx.onTranslate(msg) },
      icon("globe"), t("chat.translate")) };
  }
  return { note: null };
}

/** The card of the message's first link, as the server fetched it: texts as text nodes,
 * the picture only from this server (/api/images/…), never the site's own address. */
function previewCard(msg) {
  const p = msg.preview;
  if (!p || msg.deleted || msg.hidden || !(p.title || p.description)) return null;
  const url = /^https?:\/\//i.test(p.url || "") ? p.url : null;
  const image = typeof p.image === "string" && p.image.startsWith("/api/images/")
    ? h("img", { class: "preview-img", src: p.image, alt: "", loading: "lazy", decoding: "async" })
    : null;
  const text = h("span", { class: "preview-text" },
    p.site_name ? h("span", { class: "preview-site" }, p.site_name) : null,
    p.title ? h("strong", { class: "preview-title" }, p.title) : null,
    p.description ? h("span", { class: "preview-desc" }, p.description) : null,
  );
  // A newcomer's first links are not made clickable (link_warning); neither is their card.
  const clickable = url && !msg.link_warning;
  return h(clickable ? "a" : "div", {
    class: "link-preview",
    "data-testid": "link-preview",
    href: clickable ? url : null,
    target: clickable ? "_blank" : null,
    rel: clickable ? "noopener noreferrer nofollow ugc" : null,
  }, image, text);
}

export function renderMessage(ctx, msg) {
  const rs = ctx.rs;
  if (msg.kind === "system") {
    return h("div", { class: "msg msg-system", "data-seq": msg.seq, "data-rev": msg.rev, role: "article" },
      h("span", null, systemText(rs, msg)), clipLink(msg));
  }
  const mine = rs.me && msg.member === rs.me.id;
  const member = msg.member ? rs.members.get(msg.member) : null;
  const name = msg.kind === "bot" ? t("chat.bot") : memberName(rs, msg.member);
  const mentionsMe = rs.me && (msg.mentions || []).includes(rs.me.id);
  const classes = ["msg", mine ? "mine" : "theirs", `kind-${msg.kind}`];
  if (msg.deleted) classes.push("deleted");
  if (msg.hidden) classes.push("hidden-msg");
  if (mentionsMe) classes.push("mentions-me");

  let content;
  let parts = { note: null };
  if (msg.deleted) {
    content = h("div", { class: "msg-body muted" }, t("chat.deleted"));
  } else if (msg.hidden) {
    content = h("div", { class: "msg-body muted" }, t("chat.hidden"));
  } else {
    parts = translationParts(ctx, msg);
    const linkify = !msg.link_warning;
    const original = msg.body ? h("div", { class: "msg-body", lang: msg.lang || null, dir: "auto" },
      bodyNodes(rs, msg.body || "", msg, linkify)) : null;
    if (parts.tr && ctx.mode !== "both" && !parts.showOriginal) {
      content = h("div", { class: "msg-body msg-translated", lang: parts.tr.lang, dir: "auto" }, parts.tr.body);
    } else if (parts.tr && ctx.mode === "both" && !parts.showOriginal) {
      content = [original, h("div", { class: "msg-translation", lang: parts.tr.lang, dir: "auto" }, parts.tr.body)];
    } else {
      content = original;
    }
  }
  const trLine = parts.tr
    ? h("div", { class: "tr-line" }, icon("globe"), h("span", null, parts.label), " · ", parts.toggle)
    : parts.note ? h("div", { class: "tr-line" }, parts.note) : null;

  const meta = h("div", { class: "msg-meta" },
    langChip(msg),
    h("time", { datetime: msg.created_at, title: new Date(msg.created_at).toLocaleString() }, formatTime(msg.created_at)),
    msg.edited_at && !msg.deleted ? h("span", { class: "edited" }, t("chat.edited")) : null,
  );

  const actions = msg.deleted || msg.hidden || ctx.readOnly ? null : h("div", { class: "msg-actions", role: "toolbar", "aria-label": t("chat.message_actions") },
    h("button", { type: "button", class: "icon-btn sm", "aria-label": t("chat.react"), onclick: (e) => ctx.onReactMenu(msg, e.currentTarget) }, icon("smile")),
    h("button", { type: "button", class: "icon-btn sm", "aria-label": t("chat.reply"), onclick: () => ctx.onReply(msg) }, icon("reply")),
    h("button", { type: "button", class: "icon-btn sm", "aria-label": t("chat.more_actions"), "aria-haspopup": "menu", onclick: (e) => ctx.onMore(msg, e.currentTarget) }, icon("more")),
  );

  const label = `${name}, ${formatTime(msg.created_at)}`;
  return h("div", { class: classes, "data-seq": msg.seq, "data-rev": msg.rev, "data-member": msg.member || "bot", role: "article", "aria-label": label, tabindex: "-1" },
    mine ? null : h("div", { class: "msg-avatar" }, msg.kind === "bot" ? h("span", { class: "avatar avatar-md bot-avatar", "aria-hidden": "true" }, "🤖") : avatar(name, member && member.avatar_url, msg.member)),
    h("div", { class: "msg-main" },
      mine ? null : h("div", { class: "msg-author" },
        h("span", { class: "author-name" }, name),
        member && member.role !== "member" ? h("span", { class: `role-badge role-${member.role}` }, t(`role.${member.role}`)) : null,
      ),
      h("div", { class: "msg-line" },
        h("div", { class: "msg-bubble" },
          msg.kind === "notice" ? h("div", { class: "notice-label" }, icon("pin"), t("chat.notice")) : null,
          quote(ctx, msg),
          msg.deleted || msg.hidden ? null : renderAttachments(msg.media),
          content,
          previewCard(msg),
          msg.link_warning && !msg.deleted && !msg.hidden ? h("p", { class: "link-warning", role: "note" }, t("chat.link_warning")) : null,
          trLine,
        ),
        meta,
        actions,
      ),
      reactions(ctx, msg),
    ),
  );
}

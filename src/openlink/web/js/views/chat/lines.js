// The lines under the messages: my sends not yet acknowledged (with why one failed and
// what can be done about it) and who is typing.

import { h, icon, replaceChildren } from "../../dom.js";
import { formatDuration, t } from "../../i18n.js";
import { formatSize } from "../../media/view.js";
import { errorText } from "../../ui.js";
import { memberName } from "../message.js";

function uploadLabel(item) {
  if (item.state === "uploading") {
    return item.size ? t("media.uploading_pct", { n: Math.floor((100 * item.sent) / item.size) }) : t("media.uploading");
  }
  if (item.state === "processing") return t("media.processing");
  if (item.state === "failed") return errorText(item.error);
  return t("media.ready");
}

/** Update one upload's bar and label wherever it is shown, without a redraw. */
export function showProgress(root, item) {
  for (const el of root.querySelectorAll(`[data-upload="${item.key}"]`)) {
    const bar = el.querySelector("progress");
    if (bar) bar.value = item.size ? item.sent / item.size : 0;
    const label = el.querySelector(".upload-state");
    if (label) label.textContent = uploadLabel(item);
  }
}

/** A preview of a file in this browser (a blob: URL, which h() does not take as src). */
export function localImg(url) {
  const img = h("img", { class: "upload-thumb", alt: "" });
  if (typeof url === "string" && url.startsWith("blob:")) img.src = url;
  return img;
}

function thumb(item) {
  if (item.localUrl && item.kind === "image") return localImg(item.localUrl);
  return h("span", { class: "upload-thumb upload-icon", "aria-hidden": "true" },
    icon(item.kind === "voice" ? "mic" : item.kind === "video" ? "play" : "file"));
}

/** An attachment in the composer or in a held send: preview, name, progress, actions. */
export function draftChip(item, uploads, { removable = true } = {}) {
  const failed = item.state === "failed";
  const bar = item.state === "uploading" || item.state === "processing"
    ? h("progress", { max: "1", value: item.state === "processing" ? null : String(item.size ? item.sent / item.size : 0), "aria-label": item.name })
    : null;
  return h("div", { class: `upload-chip ${item.state}`, "data-upload": item.key, "data-testid": "upload-chip", "data-state": item.state },
    thumb(item),
    h("span", { class: "upload-text" },
      h("span", { class: "upload-name" }, item.kind === "voice" ? t("media.voice") : item.name),
      h("span", { class: "upload-state", role: failed ? "alert" : null }, uploadLabel(item)),
      h("span", { class: "upload-size" }, formatSize(item.size)),
      bar),
    failed ? h("button", { type: "button", class: "icon-btn sm", "aria-label": t("chat.retry"), onclick: () => uploads.retry(item.key) }, icon("retry")) : null,
    removable ? h("button", { type: "button", class: "icon-btn sm", "aria-label": t("media.remove", { name: item.name }), "data-testid": "upload-cancel", onclick: () => uploads.cancel(item.key) }, icon("close")) : null,
  );
}

/** A message held until its attachments are ready. */
function heldSend(state, entry) {
  const uploads = state.uploads;
  const items = uploads.itemsOf(entry);
  const failed = items.some((i) => i.state === "failed");
  return h("div", { class: `msg mine pending held ${failed ? "failed" : ""}`, "data-held": entry.id, "data-testid": "held-send" },
    h("div", { class: "msg-main" },
      h("div", { class: "msg-line" },
        h("div", { class: "msg-bubble" },
          h("div", { class: "held-media" }, items.map((i) => draftChip(i, uploads, { removable: false }))),
          entry.body ? h("div", { class: "msg-body", dir: "auto" }, entry.body) : null),
        h("div", { class: "msg-meta" }, h("span", { class: "pending-state", role: failed ? "alert" : null },
          failed ? t("chat.not_sent", { reason: errorText(items.find((i) => i.state === "failed").error) }) : t("media.preparing"))),
      ),
      h("div", { class: "pending-actions" },
        failed ? h("button", { type: "button", class: "link-btn", onclick: () => uploads.retrySend(entry.id) }, t("chat.retry")) : null,
        h("button", { type: "button", class: "link-btn", onclick: () => uploads.discardSend(entry.id) }, failed ? t("chat.discard") : t("common.cancel")),
      ),
    ),
  );
}

/** Until when a refused link waits: the error's own time, else my joining plus probation. */
function linksAllowedAt(rs, error) {
  const details = error.details || {};
  if (details.allowed_at || details.until) return Date.parse(details.allowed_at || details.until);
  const probation = details.probation_s ?? rs.room.probation_s;
  if (!rs.me || !rs.me.joined_at || !probation) return null;
  return Date.parse(rs.me.joined_at) + probation * 1000;
}

/** What a failed send says, and whether sending it again can work (ms to wait, or 0). */
function failure(rs, error) {
  if (error.code === "probation_no_links") {
    const at = linksAllowedAt(rs, error);
    const wait = at === null ? Infinity : at - Date.now();
    if (wait > 0) {
      const text = Number.isFinite(wait) ? t("chat.links_wait", { time: formatDuration(wait / 1000) }) : errorText(error);
      return { text, wait };
    }
  }
  return { text: errorText(error), wait: 0 };
}

/**
 * The pending sends of room rs into el. A send refused for a reason that time cures (a
 * newcomer's link) offers no retry until then: edit() puts its text back in the box.
 * Returns {count, recheckMs}: redraw after recheckMs, when a retry becomes possible.
 */
export function renderPending(el, state, rs, { edit }) {
  const entries = state.outbox.pendingFor(rs.id);
  const held = state.uploads.sendsFor(rs.id);
  let recheckMs = Infinity;
  replaceChildren(el, ...held.map((entry) => heldSend(state, entry)), ...entries.map((e) => {
    const failed = e.state === "failed";
    const why = failed ? failure(rs, e.error) : null;
    if (why && why.wait) recheckMs = Math.min(recheckMs, why.wait);
    const label = failed
      ? t("chat.not_sent", { reason: why.text })
      : e.state === "sent" ? t("chat.sending") : t("chat.waiting_connection");
    return h("div", { class: `msg mine pending ${failed ? "failed" : ""}`, "data-client-id": e.client_id },
      h("div", { class: "msg-main" },
        h("div", { class: "msg-line" },
          h("div", { class: "msg-bubble" },
            e.media ? h("div", { class: "held-media" }, (e.previews || e.media).map((p) =>
              h("span", { class: "upload-chip ready" }, p.url && p.kind === "image" ? localImg(p.url) : icon("file"), p.name ? h("span", { class: "upload-name" }, p.kind === "voice" ? t("media.voice") : p.name) : null))) : null,
            e.body ? h("div", { class: "msg-body", dir: "auto" }, e.body) : null),
          h("div", { class: "msg-meta" }, h("span", { class: "pending-state", role: failed ? "alert" : null }, label)),
        ),
        failed ? h("div", { class: "pending-actions" },
          why.wait
            ? h("button", { type: "button", class: "link-btn", onclick: () => edit(e) }, t("chat.edit"))
            : h("button", { type: "button", class: "link-btn", onclick: () => state.outbox.retry(e.client_id) }, t("chat.retry")),
          h("button", { type: "button", class: "link-btn", onclick: () => state.outbox.discard(e.client_id) }, t("chat.discard")),
        ) : null,
      ),
    );
  }));
  return { count: entries.length + held.length, recheckMs };
}

export function renderTyping(el, state, rs) {
  const ids = state.typists(rs);
  if (!ids.length) {
    el.textContent = "";
    return;
  }
  const names = ids.slice(0, 2).map((id) => memberName(rs, id));
  el.textContent = ids.length > 2
    ? t("chat.typing_many", { n: ids.length })
    : t("chat.typing", { names: names.join(", ") });
}

// The lines under the messages: my sends not yet acknowledged (with why one failed and
// what can be done about it) and who is typing.

import { h, replaceChildren } from "../../dom.js";
import { formatDuration, t } from "../../i18n.js";
import { errorText } from "../../ui.js";
import { memberName } from "../message.js";

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
  let recheckMs = Infinity;
  replaceChildren(el, ...entries.map((e) => {
    const failed = e.state === "failed";
    const why = failed ? failure(rs, e.error) : null;
    if (why && why.wait) recheckMs = Math.min(recheckMs, why.wait);
    const label = failed
      ? t("chat.not_sent", { reason: why.text })
      : e.state === "sent" ? t("chat.sending") : t("chat.waiting_connection");
    return h("div", { class: `msg mine pending ${failed ? "failed" : ""}`, "data-client-id": e.client_id },
      h("div", { class: "msg-main" },
        h("div", { class: "msg-line" },
          h("div", { class: "msg-bubble" }, h("div", { class: "msg-body", dir: "auto" }, e.body)),
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
  return { count: entries.length, recheckMs };
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

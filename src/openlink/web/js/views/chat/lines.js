// The lines under the messages: my sends not yet acknowledged (with why one failed and
// what can be done about it) and who is typing.

import { h, replaceChildren } from "../../dom.js";
import { t } from "../../i18n.js";
import { errorText } from "../../ui.js";
import { memberName } from "../message.js";

export function renderPending(el, state, rsId) {
  const entries = state.outbox.pendingFor(rsId);
  replaceChildren(el, ...entries.map((e) => {
    const failed = e.state === "failed";
    const label = failed
      ? t("chat.not_sent", { reason: errorText(e.error) })
      : e.state === "sent" ? t("chat.sending") : t("chat.waiting_connection");
    return h("div", { class: `msg mine pending ${failed ? "failed" : ""}`, "data-client-id": e.client_id },
      h("div", { class: "msg-main" },
        h("div", { class: "msg-line" },
          h("div", { class: "msg-bubble" }, h("div", { class: "msg-body", dir: "auto" }, e.body)),
          h("div", { class: "msg-meta" }, h("span", { class: "pending-state", role: failed ? "alert" : null }, label)),
        ),
        failed ? h("div", { class: "pending-actions" },
          h("button", { type: "button", class: "link-btn", onclick: () => state.outbox.retry(e.client_id) }, t("chat.retry")),
          h("button", { type: "button", class: "link-btn", onclick: () => state.outbox.discard(e.client_id) }, t("chat.discard")),
        ) : null,
      ),
    );
  }));
  return entries.length;
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

// Pinned notice: post a notice (pinned by default), see what is pinned, unpin it.

import { t } from "../../i18n.js";
import { act, button, checkbox, errorLine, field, fill, flash, h, statusLine } from "../dom.js";

async function pinnedMessage(panel) {
  const seq = panel.room.pinned_seq;
  if (!seq) return null;
  const page = await panel.api.get(panel.path("messages"), { after: seq - 1, limit: 1 });
  const found = page.messages.find((m) => m.seq === seq);
  return found || null;
}

export default {
  id: "notice",
  visible: (panel) => panel.can("notice"),
  render(panel) {
    const current = h("div", { class: "ht-pinned" });
    const error = errorLine();
    const status = statusLine();

    const unpin = button(t("host.notice.unpin"), () =>
      act(unpin, error, async () => {
        await panel.api.del(panel.path("notice"));
        await panel.roomWritten();
        flash(status, t("host.notice.unpinned"));
      }),
    );

    async function showPinned() {
      if (!panel.room.pinned_seq) {
        fill(current, h("p", { class: "ht-empty" }, t("host.notice.none")));
        return;
      }
      let message = null;
      try {
        message = await pinnedMessage(panel);
      } catch {
        message = null;
      }
      const text = message && !message.deleted && !message.hidden ? message.body : t("host.notice.unavailable");
      fill(
        current,
        h("p", { class: "ht-label" }, t("host.notice.pinned", { seq: panel.room.pinned_seq })),
        h("blockquote", { class: "ht-quote" }, text || ""),
        h("div", { class: "ht-actions" }, unpin),
      );
    }

    const body = h("textarea", { rows: 4, maxlength: 4000, name: "notice", required: true });
    const pin = checkbox(t("host.notice.pin"), true, { name: "pin" });
    const post = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.notice.post"));
    const form = h(
      "form",
      { class: "ht-form" },
      field(t("host.notice.body"), body),
      pin,
      h("div", { class: "ht-actions" }, post),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(post, error, async () => {
        await panel.api.post(panel.path("notices"), { body: body.value, pin: pin.input.checked });
        body.value = "";
        await panel.roomWritten();
        flash(status, t("host.notice.posted"));
      });
    });

    panel.on("room", showPinned);
    showPinned();
    return h(
      "div",
      null,
      h("h4", null, t("host.notice.current")),
      current,
      h("h4", null, t("host.notice.new")),
      form,
      error,
      status,
    );
  },
};

// Hidden messages: the ones hidden in recent history (review the text, show again), and
// hiding one by its number. The chat view's message menu (messageActions) does the same
// for one message at a time.

import { t } from "../../i18n.js";
import { act, button, errorLine, field, fill, flash, h, statusLine } from "../dom.js";

const RECENT = 200;

export default {
  id: "messages",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.can("hide"),
  render(panel) {
    const list = h("ul", { class: "ht-list", "aria-label": t("host.messages.hidden_list") });
    const error = errorLine();
    const status = statusLine();
    const hidden = new Map(); // seq -> Message

    function row(message) {
      const review = h("p", { class: "ht-quote", hidden: true });
      const rowError = errorLine();
      const reviewBtn = button(t("host.messages.review"), () =>
        act(reviewBtn, rowError, async () => {
          const full = await panel.api.get(panel.path("messages", message.seq, "review"));
          review.textContent = full.body || "";
          review.hidden = false;
        }),
      );
      const showBtn = button(t("host.messages.unhide"), () =>
        act(showBtn, rowError, async () => {
          const shown = await panel.api.del(panel.path("messages", message.seq, "hide"));
          update(shown || { ...message, hidden: false });
          flash(status, t("host.messages.unhidden", { seq: message.seq }));
        }),
      );
      return h(
        "li",
        { class: "ht-item" },
        h(
          "div",
          { class: "ht-item-main" },
          h("strong", null, t("host.messages.number", { seq: message.seq })),
          " ",
          h("span", null, panel.who(message.member)),
          " ",
          h("small", null, panel.time(message.hidden_at || message.created_at)),
        ),
        review,
        h("div", { class: "ht-actions" }, reviewBtn, showBtn),
        rowError,
      );
    }

    function draw() {
      const items = [...hidden.values()].sort((a, b) => b.seq - a.seq);
      if (items.length === 0) fill(list, h("li", { class: "ht-empty" }, t("host.messages.none")));
      else fill(list, items.map(row));
    }

    function update(message) {
      if (!message || (message.room !== undefined && message.room !== panel.roomId)) return;
      if (message.hidden) hidden.set(message.seq, message);
      else hidden.delete(message.seq);
      draw();
    }

    async function load() {
      const page = await panel.api.get(panel.path("messages"), { limit: RECENT });
      hidden.clear();
      page.messages.filter((m) => m.hidden).forEach((m) => hidden.set(m.seq, m));
      draw();
    }

    const seq = h("input", { type: "number", min: 1, step: 1, name: "seq", inputmode: "numeric", required: true });
    const reason = h("input", { type: "text", name: "reason", maxlength: 500, autocomplete: "off" });
    const hideBtn = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.messages.hide"));
    const form = h(
      "form",
      { class: "ht-form ht-inline" },
      field(t("host.messages.seq"), seq),
      field(t("host.messages.reason"), reason),
      h("div", { class: "ht-actions" }, hideBtn),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(hideBtn, error, async () => {
        const message = await panel.api.post(panel.path("messages", Number(seq.value), "hide"), {
          reason: reason.value.trim() || null,
        });
        update(message);
        seq.value = "";
        reason.value = "";
        flash(status, t("host.messages.hidden_done", { seq: message.seq }));
      });
    });

    panel.on("message", update);
    const section = h(
      "div",
      null,
      h("h4", null, t("host.messages.hide_one")),
      form,
      error,
      status,
      h("h4", null, t("host.messages.recent")),
      list,
    );
    section.refresh = () => act(null, error, load);
    section.refresh();
    return section;
  },
};

// Join requests: the pending ones, approve or reject each. New requests arrive live
// (onEvent forwards `join_request` events here).

import { t } from "../../i18n.js";
import { act, button, errorLine, fill, flash, h, statusLine } from "../dom.js";

export default {
  id: "requests",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.can("approve"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const list = h("ul", { class: "ht-list", "aria-label": t("host.requests.list") });
    const pending = new Map(); // id -> JoinRequest

    function decide(request, approve, btn, rowError) {
      return act(btn, rowError, async () => {
        const verb = approve ? "approve" : "reject";
        try {
          await panel.api.post(panel.path("join-requests", request.id, verb), {});
        } catch (err) {
          // Decided elsewhere (another co-host) or withdrawn: it is no longer ours to show.
          if (err.code !== "join_request_not_found") throw err;
        }
        pending.delete(request.id);
        draw();
        flash(status, t(approve ? "host.requests.approved" : "host.requests.rejected", { nickname: request.nickname }));
        if (approve) panel.members = null; // someone new: reload the member list when next needed
      });
    }

    function row(request) {
      const rowError = errorLine();
      const approve = button(t("host.requests.approve"), () => decide(request, true, approve, rowError), { kind: "primary" });
      const reject = button(t("host.requests.reject"), () => decide(request, false, reject, rowError));
      const avatar = request.avatar_url ? h("img", { class: "ht-avatar", src: request.avatar_url, alt: "" }) : null;
      return h(
        "li",
        { class: "ht-item", "data-request": request.id },
        h(
          "div",
          { class: "ht-item-main" },
          avatar,
          h("strong", null, request.nickname),
          " ",
          h("small", null, panel.time(request.created_at)),
        ),
        h("div", { class: "ht-actions" }, approve, reject),
        rowError,
      );
    }

    function draw() {
      const items = [...pending.values()];
      fill(list, items.length ? items.map(row) : [h("li", { class: "ht-empty" }, t("host.requests.none"))]);
      panel.emit("badge", { id: "requests", count: items.length });
    }

    async function load() {
      const found = [];
      let after = null;
      do {
        const page = await panel.api.get(panel.path("join-requests"), { after, limit: 500 });
        found.push(...page.requests);
        after = page.next;
      } while (after && found.length < 5000);
      pending.clear();
      found.filter((r) => r.status === "pending").forEach((r) => pending.set(r.id, r));
      draw();
    }

    panel.on("join_request", (request) => {
      if (request.status && request.status !== "pending") pending.delete(request.id);
      else pending.set(request.id, request);
      draw();
    });

    const hint = h("p", { class: "ht-hint" }, panel.room.join_approval ? "" : t("host.requests.approval_off"));
    panel.on("room", (room) => {
      hint.textContent = room.join_approval ? "" : t("host.requests.approval_off");
    });
    const el = h("div", null, hint, status, error, list);
    el.refresh = () => act(null, error, load);
    el.refresh();
    return el;
  },
};

// The moderation log, newest first, read-only; "older" pages on by entry id.

import { t, hasText } from "../../i18n.js";
import { act, button, errorLine, h } from "../dom.js";

const PAGE = 50;

function actor(panel, entry) {
  if (entry.actor_kind === "member") return panel.who(entry.actor);
  return t(`host.audit.actor_${entry.actor_kind}`);
}

/** The details worth a glance, as one line of text (never the message text: none is logged). */
function details(panel, entry) {
  const d = entry.details || {};
  const parts = [];
  if (d.rights) parts.push(d.rights.map((r) => t(`host.right.${r}`)).join(", "));
  if (d.rule) parts.push(d.rule);
  if (d.duration_s) parts.push(panel.duration(d.duration_s));
  if ("until" in d) parts.push(d.until ? t("host.audit.until", { time: panel.time(d.until) }) : t("host.bans.forever"));
  if (d.reason) parts.push(d.reason);
  if (d.outcome) parts.push(d.outcome);
  return parts.join(" · ");
}

export default {
  id: "audit",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.isModerator(),
  render(panel) {
    const error = errorLine();
    const list = h("ol", { class: "ht-list ht-audit", "aria-label": t("host.audit.list") });
    let next = null;

    function row(entry) {
      const key = `host.audit.action.${entry.action}`;
      const label = hasText(key) ? t(key) : entry.action;
      const target = [];
      if (entry.target_member) target.push(panel.who(entry.target_member));
      if (entry.target_seq) target.push(t("host.messages.number", { seq: entry.target_seq }));
      const extra = details(panel, entry);
      return h(
        "li",
        { class: "ht-item", "data-action": entry.action },
        h("div", { class: "ht-item-main" }, h("strong", null, actor(panel, entry)), " ", h("span", null, label), target.length ? ` → ${target.join(" ")}` : ""),
        extra ? h("p", { class: "ht-note" }, extra) : null,
        h("small", null, h("time", { datetime: entry.created_at }, panel.time(entry.created_at))),
      );
    }

    async function page(reset) {
      if (!panel.members) await panel.loadMembers().catch(() => null); // nicknames
      const data = await panel.api.get(panel.path("audit"), { before: reset ? null : next, limit: PAGE });
      if (reset) list.replaceChildren();
      list.append(...data.entries.map(row));
      if (reset && data.entries.length === 0) list.append(h("li", { class: "ht-empty" }, t("host.audit.none")));
      next = data.next;
      more.hidden = !next;
    }

    const more = button(t("host.audit.older"), () => act(more, error, () => page(false)), { hidden: true });
    const el = h("div", null, error, list, h("div", { class: "ht-actions" }, more));
    el.refresh = () => act(null, error, () => page(true));
    el.refresh();
    return el;
  },
};

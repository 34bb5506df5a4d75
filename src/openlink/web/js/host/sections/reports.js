// Reports filed by members: read them (open, resolved or all), resolve one with a short
// outcome. New reports arrive live (onEvent forwards `report` events here). Below them,
// the reports of clips posted in the room, by clip, with hide / show again (`hide`
// right); `clip.reported` events reload that list.

import { t } from "../../i18n.js";
import { act, button, errorLine, field, fill, flash, h, select, statusLine } from "../dom.js";

export default {
  id: "reports",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.isModerator(),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const list = h("ul", { class: "ht-list", "aria-label": t("host.reports.list") });
    const which = select(
      ["open", "resolved", ""].map((s) => ({ value: s, label: t(`host.reports.status_${s || "all"}`) })),
      "open",
      { name: "status" },
    );
    let reports = [];

    function row(report) {
      const rowError = errorLine();
      const target = report.target_seq
        ? t("host.reports.about_message", { seq: report.target_seq, nickname: panel.who(report.target_member) })
        : t("host.reports.about_member", { nickname: panel.who(report.target_member) });
      const parts = [
        h(
          "div",
          { class: "ht-item-main" },
          h("strong", null, t(`host.reports.reason_${report.reason}`)),
          " ",
          h("span", null, target),
        ),
        h("small", null, t("host.reports.by", { nickname: panel.who(report.reporter), time: panel.time(report.created_at) })),
      ];
      if (report.excerpt) parts.push(h("blockquote", { class: "ht-quote" }, report.excerpt));
      // Hidden text is only for those with the hide right: the others learn that it is hidden.
      else if (report.message_hidden) parts.push(h("blockquote", { class: "ht-quote" }, t("chat.hidden")));
      if (report.note) parts.push(h("p", { class: "ht-note" }, report.note));
      if (report.status === "resolved") {
        parts.push(
          h("small", { class: "ht-badge" }, t("host.reports.resolved_by", { nickname: panel.who(report.resolved_by), time: panel.time(report.resolved_at) })),
        );
      } else {
        const outcome = h("input", { type: "text", name: "outcome", maxlength: 200, autocomplete: "off" });
        const resolve = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.reports.resolve"));
        const form = h("form", { class: "ht-form ht-inline" }, field(t("host.reports.outcome"), outcome), h("div", { class: "ht-actions" }, resolve));
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          act(resolve, rowError, async () => {
            const done = await panel.api.post(panel.path("reports", report.id, "resolve"), { outcome: outcome.value.trim() });
            upsert(done);
            flash(status, t("host.reports.resolved"));
          });
        });
        parts.push(form);
        if (report.target_seq && panel.can("hide")) {
          const hide = button(t("host.messages.hide"), () =>
            act(hide, rowError, async () => {
              panel.emit("message", await panel.api.post(panel.path("messages", report.target_seq, "hide"), {}));
              flash(status, t("host.messages.hidden_done", { seq: report.target_seq }));
            }),
          );
          parts.push(h("div", { class: "ht-actions" }, hide));
        }
      }
      parts.push(rowError);
      return h("li", { class: "ht-item", "data-report": report.id }, parts);
    }

    function draw() {
      const shown = reports.filter((r) => !which.value || r.status === which.value);
      fill(list, shown.length ? shown.map(row) : [h("li", { class: "ht-empty" }, t("host.reports.none"))]);
      panel.emit("badge", { id: "reports", count: reports.filter((r) => r.status === "open").length });
    }

    function upsert(report) {
      const i = reports.findIndex((r) => r.id === report.id);
      if (i >= 0) reports[i] = report;
      else reports.unshift(report);
      draw();
    }

    async function load() {
      if (!panel.members) await panel.loadMembers().catch(() => null); // nicknames
      const data = await panel.api.get(panel.path("reports"), { status: which.value, limit: 200 });
      reports = data.reports;
      draw();
    }

    const clipList = h("ul", { class: "ht-list", "aria-label": t("host.reports.clips"), "data-testid": "clip-reports" });

    function clipRow(entry) {
      const rowError = errorLine();
      const caption = entry.clip ? entry.clip.caption || t("host.reports.clip_no_caption") : t("chat.hidden");
      const query = new URLSearchParams({ room: panel.roomId, clip: entry.id });
      const parts = [
        h("div", { class: "ht-item-main" }, h("strong", null, caption), " ", entry.clip ? h("a", { href: `#/clips?${query}` }, t("clips.watch")) : null),
      ];
      for (const report of entry.reports) {
        const by = report.reporter ? panel.who(report.reporter) : t("host.reports.outsider");
        parts.push(h("small", null, `${t(`host.reports.reason_${report.reason}`)} · ${t("host.reports.by", { nickname: by, time: panel.time(report.created_at) })}`));
        if (report.note) parts.push(h("p", { class: "ht-note" }, report.note));
      }
      if (panel.can("hide")) {
        const toggle = button(entry.hidden ? t("host.reports.clip_show") : t("host.messages.hide"), () =>
          act(toggle, rowError, async () => {
            await panel.api.put(`/api/clips/${encodeURIComponent(entry.id)}/hidden`, { hidden: !entry.hidden });
            flash(status, t(entry.hidden ? "host.reports.clip_shown_done" : "host.reports.clip_hidden_done"));
            await loadClips();
          }),
          { "data-testid": "clip-report-hide" },
        );
        parts.push(h("div", { class: "ht-actions" }, toggle));
      } else if (entry.hidden) {
        parts.push(h("small", { class: "ht-badge" }, t("host.reports.clip_hidden")));
      }
      parts.push(rowError);
      return h("li", { class: "ht-item", "data-clip-report": entry.id }, parts);
    }

    async function loadClips() {
      const data = await panel.api.get(panel.path("clip-reports"), { limit: 200 });
      fill(clipList, data.clips.length ? data.clips.map(clipRow) : [h("li", { class: "ht-empty" }, t("host.reports.clips_none"))]);
    }

    which.addEventListener("change", () => act(null, error, load));
    panel.on("report", upsert);
    panel.on("clip_report", () => act(null, error, loadClips));
    const el = h("div", null, field(t("host.reports.show"), which), status, error, list,
      h("h3", null, t("host.reports.clips")), clipList);
    el.refresh = () => act(null, error, async () => {
      await load();
      await loadClips();
    });
    el.refresh();
    return el;
  },
};

// Members: time out (and lift), kick, ban with a duration; the ban list with unbanning;
// banning someone who already left, by the member id they had.

import { t } from "../../i18n.js";
import { act, button, errorLine, field, fill, flash, h, select, statusLine } from "../dom.js";
import { BAN_CHOICES, confirmDialog, kickDialog, timeoutDialog } from "../dialogs.js";
import { durationOptions } from "../format.js";

const SHOWN = 100; // rows drawn at once; the filter finds the rest

function timedOut(member) {
  return Boolean(member.timed_out_until && new Date(member.timed_out_until) > new Date());
}

function memberList(panel, status) {
  const filter = h("input", { type: "search", name: "filter", autocomplete: "off" });
  const list = h("ul", { class: "ht-list", "aria-label": t("host.members.list") });
  const error = errorLine();

  function row(member) {
    const badges = [];
    if (member.role !== "member") badges.push(h("span", { class: "ht-badge" }, t(`host.role.${member.role}`)));
    if (member.id === panel.me.id) badges.push(h("span", { class: "ht-badge" }, t("host.members.you")));
    if (timedOut(member)) {
      badges.push(
        h("span", { class: "ht-badge ht-badge-warn" }, t("host.members.timed_out_until", { time: panel.time(member.timed_out_until) })),
      );
    }
    const rowError = errorLine();
    const actions = [];
    if (panel.canTarget(member)) {
      if (panel.can("timeout")) {
        if (timedOut(member)) {
          const lift = button(t("host.members.lift"), () =>
            act(lift, rowError, async () => {
              panel.updateMember(await panel.api.del(panel.path("members", member.id, "timeout")));
              flash(status, t("host.members.lifted", { nickname: member.nickname }));
            }),
          );
          actions.push(lift);
        }
        actions.push(
          button(t("host.members.timeout"), async () => {
            if (await timeoutDialog(panel, member)) flash(status, t("host.members.timed_out", { nickname: member.nickname }));
          }),
        );
      }
      if (panel.can("kick")) {
        actions.push(
          button(t("host.members.kick"), async () => {
            if (await kickDialog(panel, member)) flash(status, t("host.members.kicked", { nickname: member.nickname }));
          }),
          button(
            t("host.members.ban"),
            async () => {
              if (await kickDialog(panel, member, { ban: true })) flash(status, t("host.members.banned", { nickname: member.nickname }));
            },
            { kind: "danger" },
          ),
        );
      }
    }
    return h(
      "li",
      { class: "ht-item", "data-member": member.id },
      h("div", { class: "ht-item-main" }, h("strong", null, member.nickname), " ", badges),
      actions.length ? h("div", { class: "ht-actions" }, actions) : null,
      rowError,
    );
  }

  function draw() {
    const members = panel.members || [];
    const needle = filter.value.trim().toLowerCase();
    const matches = needle ? members.filter((m) => m.nickname.toLowerCase().includes(needle)) : members;
    const rows = matches.slice(0, SHOWN).map(row);
    if (matches.length > SHOWN) rows.push(h("li", { class: "ht-empty" }, t("host.members.more", { n: matches.length - SHOWN })));
    if (rows.length === 0) rows.push(h("li", { class: "ht-empty" }, t("host.members.none")));
    fill(list, rows);
  }

  filter.addEventListener("input", draw);
  panel.on("members", draw);
  const el = h("div", null, field(t("host.members.filter"), filter), error, list);
  el.refresh = () => act(null, error, () => panel.loadMembers({ reload: true }));
  return el;
}

function banList(panel, status) {
  const list = h("ul", { class: "ht-list", "aria-label": t("host.bans.list") });
  const error = errorLine();

  function row(ban) {
    const rowError = errorLine();
    const unban = button(t("host.bans.unban"), () =>
      act(unban, rowError, async () => {
        await panel.api.del(panel.path("bans", ban.member_id));
        flash(status, t("host.bans.unbanned", { nickname: ban.nickname }));
        await load();
      }),
    );
    const until = ban.until ? t("host.bans.until", { time: panel.time(ban.until) }) : t("host.bans.forever");
    return h(
      "li",
      { class: "ht-item", "data-member": ban.member_id },
      h("div", { class: "ht-item-main" }, h("strong", null, ban.nickname), " ", h("small", null, until)),
      ban.reason ? h("p", { class: "ht-note" }, ban.reason) : null,
      h("small", null, t("host.bans.by", { nickname: panel.who(ban.by), time: panel.time(ban.created_at) })),
      h("div", { class: "ht-actions" }, unban),
      rowError,
    );
  }

  async function load() {
    const data = await panel.api.get(panel.path("bans"));
    fill(list, data.bans.length ? data.bans.map(row) : [h("li", { class: "ht-empty" }, t("host.bans.none"))]);
  }

  // Banning someone who already left: by the member id they had (from the log or a report).
  const memberId = h("input", { type: "text", name: "member_id", maxlength: 24, autocomplete: "off", spellcheck: "false" });
  const length = select(durationOptions(BAN_CHOICES, undefined, { forever: t("host.members.forever") }), 86400, {
    name: "ban_s",
  });
  const reason = h("input", { type: "text", name: "reason", maxlength: 500, autocomplete: "off" });
  const banBtn = h("button", { type: "submit", class: "ht-btn ht-btn-danger" }, t("host.bans.ban_former"));
  const formError = errorLine();
  const form = h(
    "form",
    { class: "ht-form" },
    field(t("host.bans.member_id"), memberId, t("host.bans.member_id_hint")),
    field(t("host.members.ban_length"), length),
    field(t("host.members.reason"), reason),
    h("div", { class: "ht-actions" }, banBtn),
    formError,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(banBtn, formError, async () => {
      const id = memberId.value.trim();
      const ok = await confirmDialog(t("host.bans.ban_former"), t("host.bans.confirm_former", { id }), {
        label: t("host.members.ban"),
        run: () =>
          panel.api.post(panel.path("bans"), {
            member_id: id,
            ban_s: length.value === "" ? null : Number(length.value),
            reason: reason.value.trim() || null,
          }),
      });
      if (!ok) return;
      memberId.value = "";
      reason.value = "";
      await load();
    });
  });

  panel.on("bans", () => act(null, error, load));
  const el = h("div", null, error, list, h("h4", null, t("host.bans.former")), form);
  el.refresh = () => act(null, error, load);
  return el;
}

export default {
  id: "members",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.can("kick") || panel.can("timeout"),
  render(panel) {
    const status = statusLine();
    const members = memberList(panel, status);
    const parts = [status, members];
    let bans = null;
    if (panel.can("kick")) {
      bans = banList(panel, status);
      parts.push(h("h4", null, t("host.bans.title")), bans);
    }
    const el = h("div", null, parts);
    el.refresh = () => Promise.all([members.refresh(), bans && bans.refresh()]);
    el.refresh();
    return el;
  },
};

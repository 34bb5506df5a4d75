// The chat's head: the room's name, cover, member and online counts, the pinned notice,
// the host tools button and the room menu (copy the link, room info, leave).

import { h, icon, replaceChildren } from "../../dom.js";
import { formatNumber, t } from "../../i18n.js";
import { avatar, confirmDialog, errorText, openDialog, popupMenu, toast } from "../../ui.js";
import { openHostPanel } from "../hostpanel.js";

export class ChatHeader {
  constructor(app, rs) {
    this.app = app;
    this.rs = rs;
    this.el = h("header", { class: "chat-head" });
    this.noticeBar = h("div", { class: "notice-bar", hidden: true });
    this.hostPanel = null;
    this.noticeSeq = undefined;
  }

  render() {
    const rs = this.rs;
    const room = rs.room;
    const role = rs.me ? rs.me.role : "member";
    this.sub = h("p", { class: "chat-sub", "data-testid": "room-sub" });
    this.renderSub();
    replaceChildren(this.el,
      h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")),
      avatar(room.name, room.cover_url, room.id),
      h("div", { class: "chat-title" },
        h("h2", null, room.name),
        this.sub,
      ),
      role === "host" || role === "cohost"
        ? h("button", { type: "button", class: "btn btn-ghost host-btn", onclick: () => this.openHostTools(), "aria-haspopup": "dialog", "aria-label": t("chat.host_tools") }, icon("shield"), h("span", { class: "label" }, t("chat.host_tools")))
        : null,
      h("button", { type: "button", class: "icon-btn", "aria-label": t("chat.room_menu"), "aria-haspopup": "menu", onclick: (e) => this.roomMenu(e.currentTarget) }, icon("more")),
    );
    this.renderNotice();
  }

  renderSub() {
    const rs = this.rs;
    const n = rs.room.member_count;
    const sub = [t("chat.members", { n, count: formatNumber(n) })];
    if (rs.online !== null) sub.push(t("chat.online", { n: rs.online, count: formatNumber(rs.online) }));
    this.sub.textContent = sub.join(" · ");
  }

  async renderNotice() {
    const seq = this.rs.room.pinned_seq;
    if (seq === this.noticeSeq) return; // already showing it (or its absence)
    this.noticeSeq = seq;
    if (!seq) {
      this.noticeBar.hidden = true;
      return;
    }
    let notice = this.rs.msgs.get(seq);
    if (!notice) {
      try {
        notice = (await this.app.api.get(`/api/rooms/${this.rs.id}/preview`)).notice;
      } catch {
        notice = null;
      }
    }
    if (!notice || notice.deleted || notice.hidden) {
      this.noticeBar.hidden = true;
      return;
    }
    this.noticeBar.hidden = false;
    replaceChildren(this.noticeBar, icon("pin"), h("span", { class: "notice-text", dir: "auto" }, notice.body));
  }

  roomMenu(anchor) {
    const link = `${location.origin}${this.rs.room.link}`;
    popupMenu(anchor, [
      { label: t("chat.copy_link"), icon: "link", onSelect: () => this.copyLink(link) },
      { label: t("chat.room_info"), icon: "users", onSelect: () => this.roomInfo(link) },
      { label: t("chat.leave"), icon: "logout", danger: true, onSelect: () => this.leave() },
    ], { label: t("chat.room_menu") });
  }

  async copyLink(link) {
    try {
      await navigator.clipboard.writeText(link);
      toast(t("common.copied"));
    } catch {
      this.roomInfo(link);
    }
  }

  roomInfo(link) {
    const room = this.rs.room;
    const rank = { host: 0, cohost: 1, member: 2 };
    const members = [...this.rs.members.values()].sort((a, b) =>
      (rank[a.role] ?? 2) - (rank[b.role] ?? 2) || a.nickname.localeCompare(b.nickname));
    openDialog({
      title: room.name,
      body: [
        room.description ? h("p", { class: "room-desc", dir: "auto" }, room.description) : null,
        h("div", { class: "tags" }, room.tags.map((tag) => h("span", { class: `tag tag-${tag.category}` }, `#${tag.name}`))),
        h("label", { class: "field" }, t("chat.share_link"), h("input", { type: "text", readonly: true, value: link, onfocus: (e) => e.target.select() })),
        h("h3", null, t("chat.members", { n: room.member_count, count: formatNumber(room.member_count) })),
        h("ul", { class: "member-list" }, members.slice(0, 200).map((m) => h("li", null,
          avatar(m.nickname, m.avatar_url, m.id, "sm"), h("span", null, m.nickname),
          m.role !== "member" ? h("span", { class: `role-badge role-${m.role}` }, t(`role.${m.role}`)) : null))),
      ],
    });
  }

  async leave() {
    const rs = this.rs;
    const host = rs.me && rs.me.role === "host";
    const ok = await confirmDialog(t("chat.leave_title"), host ? t("chat.leave_host_text") : t("chat.leave_text"), t("chat.leave"), true);
    if (!ok) return;
    try {
      await this.app.api.post(`/api/rooms/${rs.id}/leave`);
      location.hash = "#/";
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  openHostTools() {
    if (this.hostPanel) return;
    this.hostPanel = openHostPanel(this.app, this.rs, () => {
      this.hostPanel = null;
    });
  }

  destroy() {
    this.hostPanel?.close();
  }
}

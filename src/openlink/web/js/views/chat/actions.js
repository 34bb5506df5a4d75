// What a member does to one message from its buttons and menus: react, reply, mention,
// copy, translate, edit, delete, report, and the moderators' items from the host tools.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { toggleEmojiPicker } from "../../emoji.js";
import { closeMenu, confirmDialog, errorText, openDialog, popupMenu, toast } from "../../ui.js";
import { primaryLang } from "../../util.js";
import { hostMessageActions } from "../hostpanel.js";
import { QUICK_REACTIONS } from "../message.js";

export class MessageActions {
  /** refresh(seq) redraws one message row; trStatus holds each on-demand translation's state. */
  constructor({ app, rs, composer, refresh }) {
    this.app = app;
    this.state = app.state;
    this.rs = rs;
    this.composer = composer;
    this.refresh = refresh;
    this.trStatus = new Map();
  }

  async edit(msg, body) {
    try {
      const updated = await this.app.api.patch(`/api/rooms/${this.rs.id}/messages/${msg.seq}`, { body });
      this.state.apply(this.rs, updated, "edited");
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    }
  }

  async remove(msg) {
    const ok = await confirmDialog(t("chat.delete_title"), t("chat.delete_text"), t("chat.delete"), true);
    if (!ok) return;
    try {
      const tomb = await this.app.api.del(`/api/rooms/${this.rs.id}/messages/${msg.seq}`);
      this.state.apply(this.rs, tomb, "deleted");
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  async react(msg, emoji) {
    try {
      await this.state.toggleReaction(this.rs, msg.seq, emoji);
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  reactMenu(msg, anchor) {
    const row = h("div", { class: "emoji-row", role: "group", "aria-label": t("chat.react") },
      QUICK_REACTIONS.map((emoji) => h("button", {
        type: "button",
        role: "menuitem",
        class: "emoji-btn",
        "aria-label": emoji,
        onclick: () => {
          closeMenu();
          anchor.focus();
          this.react(msg, emoji);
        },
      }, emoji)),
      // Any other emoji: the full picker, beside the same button.
      h("button", {
        type: "button",
        role: "menuitem",
        class: "emoji-btn more",
        "aria-label": t("emoji.more"),
        "aria-haspopup": "dialog",
        onclick: () => {
          closeMenu();
          toggleEmojiPicker(anchor, (emoji) => this.react(msg, emoji), { label: t("chat.react") });
        },
      }, "+"),
    );
    popupMenu(anchor, [row], { label: t("chat.react"), className: "emoji-menu" });
  }

  moreMenu(msg, anchor) {
    const rs = this.rs;
    const mine = rs.me && msg.member === rs.me.id;
    const items = [{ label: t("chat.reply"), icon: "reply", onSelect: () => this.composer.setReply(msg) }];
    if (msg.lang && primaryLang(msg.lang) !== this.state.myLang && !rs.translationFor(msg)) {
      items.push({ label: t("chat.translate"), icon: "globe", onSelect: () => this.translate(msg) });
    }
    const member = msg.member ? rs.members.get(msg.member) : null;
    if (member && !mine) items.push({ label: t("chat.mention"), icon: "chat", onSelect: () => this.composer.insertMention(member) });
    if (navigator.clipboard) {
      items.push({ label: t("chat.copy_text"), icon: "link", onSelect: () => navigator.clipboard.writeText(msg.body || "").then(() => toast(t("common.copied"))) });
    }
    if (mine && msg.kind === "text") {
      items.push({ label: t("chat.edit"), icon: "edit", onSelect: () => this.composer.setEdit(msg) });
      items.push({ label: t("chat.delete"), icon: "trash", danger: true, onSelect: () => this.remove(msg) });
    }
    if (!mine && msg.kind !== "bot") items.push({ label: t("chat.report"), icon: "shield", onSelect: () => this.report(msg) });
    for (const action of hostMessageActions(this.app, rs, msg)) {
      items.push({ label: action.label, icon: "shield", danger: action.danger, onSelect: () => action.run() });
    }
    popupMenu(anchor, items, { label: t("chat.more_actions") });
  }

  async translate(msg) {
    this.trStatus.set(msg.seq, { state: "loading" });
    this.refresh(msg.seq);
    try {
      const tr = await this.app.api.get(`/api/rooms/${this.rs.id}/messages/${msg.seq}/translation`);
      this.trStatus.delete(msg.seq);
      if (tr.engine === null || tr.body === msg.body) {
        this.trStatus.set(msg.seq, { state: "error", text: t("chat.already_your_language") });
      } else {
        this.state.setTranslation(this.rs, tr);
      }
    } catch (err) {
      this.trStatus.set(msg.seq, { state: "error", text: t(`translate_error.${err.code}`) === `translate_error.${err.code}` ? errorText(err) : t(`translate_error.${err.code}`) });
    }
    this.refresh(msg.seq);
  }

  report(msg) {
    const reasons = ["spam", "harassment", "hate", "sexual", "violence", "scam", "other"];
    const select = h("select", { "aria-label": t("report.reason") }, reasons.map((r) => h("option", { value: r }, t(`report.${r}`))));
    const note = h("textarea", { rows: "3", maxlength: "500", "aria-label": t("report.note") });
    const err = h("p", { class: "form-error", role: "alert" });
    openDialog({
      title: t("report.title"),
      body: [h("p", null, t("report.intro")), select, note, err],
      actions: [
        { label: t("common.cancel") },
        {
          label: t("report.send"),
          kind: "danger",
          onClick: async (close) => {
            try {
              await this.app.api.post(`/api/rooms/${this.rs.id}/reports`, { seq: msg.seq, reason: select.value, note: note.value });
              close();
              toast(t("report.sent"));
            } catch (e) {
              err.textContent = errorText(e);
            }
          },
        },
      ],
    });
  }
}

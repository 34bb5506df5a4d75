// The rows of the chat's message window in the DOM: each row is a day separator, the
// "new messages" divider and the message; they are added, dropped, re-rendered in place
// and regrouped (days, runs of one sender, the divider) here. Which rows to show is the
// chat view's business (views/chat.js).

import { h, replaceChildren } from "../../dom.js";
import { formatDay, t } from "../../i18n.js";
import { sameDay } from "../../util.js";
import { renderMessage } from "../message.js";

const GROUP_MS = 5 * 60 * 1000;

export class MessageRows {
  /** ctx() gives renderMessage's context; unreadFrom is the read marker the divider follows. */
  constructor({ rs, list, scroller, ctx, unreadFrom }) {
    this.rs = rs;
    this.list = list;
    this.scroller = scroller;
    this.ctx = ctx;
    this.unreadFrom = unreadFrom;
    this.rows = new Map(); // seq → row element
  }

  get size() {
    return this.rows.size;
  }

  has(seq) {
    return this.rows.has(seq);
  }

  makeRow(msg, ctx = this.ctx()) {
    const row = h("div", { class: "msg-row", "data-seq": msg.seq },
      h("div", { class: "day-sep", hidden: true, role: "separator" }),
      h("div", { class: "unread-divider", hidden: true, role: "separator" }, h("span", null, t("chat.new_messages"))),
      renderMessage(ctx, msg),
    );
    row._msg = msg;
    return row;
  }

  refresh(seq, keepFocus = false) {
    const row = this.rows.get(seq);
    const msg = this.rs.msgs.get(seq);
    if (!row || !msg) return;
    const hadFocus = keepFocus && row.contains(document.activeElement);
    const fresh = renderMessage(this.ctx(), msg);
    row.lastElementChild.replaceWith(fresh);
    row._msg = msg;
    if (hadFocus) fresh.querySelector(".tr-toggle")?.focus();
  }

  refreshAll() {
    const ctx = this.ctx();
    for (const [seq, row] of this.rows) {
      const msg = this.rs.msgs.get(seq) || row._msg;
      row.lastElementChild.replaceWith(renderMessage(ctx, msg));
    }
  }

  refreshRepliesTo(seq) {
    for (const [s, row] of this.rows) if (row._msg.reply_to === seq) this.refresh(s);
  }

  firstSeq() {
    const el = this.list.firstElementChild;
    return el ? Number(el.dataset.seq) : null;
  }

  lastSeq() {
    const el = this.list.lastElementChild;
    return el ? Number(el.dataset.seq) : null;
  }

  /** New rows for these messages, known by seq, in a fragment to put in the list. */
  buildRows(messages) {
    const ctx = this.ctx();
    const frag = document.createDocumentFragment();
    for (const m of messages) {
      const row = this.makeRow(m, ctx);
      this.rows.set(m.seq, row);
      frag.append(row);
    }
    return frag;
  }

  renderWindow(messages) {
    this.rows.clear();
    replaceChildren(this.list, this.buildRows(messages));
    this.regroup();
  }

  appendRows(messages) {
    this.list.append(this.buildRows(messages));
  }

  prependRows(messages) {
    const frag = this.buildRows(messages);
    const before = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    this.list.prepend(frag);
    this.scroller.scrollTop = top + (this.scroller.scrollHeight - before);
  }

  insertRow(msg) {
    const row = this.makeRow(msg);
    const next = [...this.list.children].find((r) => Number(r.dataset.seq) > msg.seq);
    this.list.insertBefore(row, next || null);
    this.rows.set(msg.seq, row);
  }

  dropTop(count) {
    const before = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    for (let i = 0; i < count && this.list.firstElementChild; i += 1) {
      const row = this.list.firstElementChild;
      this.rows.delete(Number(row.dataset.seq));
      row.remove();
    }
    this.scroller.scrollTop = Math.max(0, top - (before - this.scroller.scrollHeight));
  }

  dropBottom(count) {
    for (let i = 0; i < count && this.list.lastElementChild; i += 1) {
      const row = this.list.lastElementChild;
      this.rows.delete(Number(row.dataset.seq));
      row.remove();
    }
  }

  regroup() {
    let prev = null;
    let dividerPlaced = false;
    const me = this.rs.me ? this.rs.me.id : null;
    for (const row of this.list.children) {
      const msg = row._msg;
      const at = new Date(msg.created_at);
      const day = row.firstElementChild;
      const newDay = !prev || !sameDay(new Date(prev.created_at), at);
      day.hidden = !newDay;
      if (newDay && day.textContent !== formatDay(msg.created_at)) day.textContent = formatDay(msg.created_at);
      const grouped = prev && !newDay && prev.kind === msg.kind && msg.kind !== "system" &&
        prev.member === msg.member && at - new Date(prev.created_at) < GROUP_MS;
      row.classList.toggle("grouped", Boolean(grouped));
      // Above the first message from someone else that came after my read marker.
      const first = !dividerPlaced && this.unreadFrom !== null && msg.seq > this.unreadFrom &&
        msg.kind !== "system" && msg.member !== me;
      if (first) dividerPlaced = true;
      day.nextElementSibling.hidden = !first;
      prev = msg;
    }
  }

  atBottom(slack = 48) {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < slack;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  onListKey(e) {
    // Up/Down move between messages; Home/End jump to the ends of the window.
    const focused = document.activeElement && document.activeElement.closest(".msg-row");
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) return;
    if (e.target.closest("button, a, textarea, input")) return;
    const rows = [...this.list.children];
    if (!rows.length) return;
    let i = focused ? rows.indexOf(focused) : e.key === "ArrowUp" ? rows.length : -1;
    if (e.key === "ArrowUp") i -= 1;
    else if (e.key === "ArrowDown") i += 1;
    else if (e.key === "Home") i = 0;
    else i = rows.length - 1;
    const row = rows[Math.max(0, Math.min(rows.length - 1, i))];
    e.preventDefault();
    row.lastElementChild.focus();
    row.lastElementChild.scrollIntoView({ block: "nearest" });
  }
}

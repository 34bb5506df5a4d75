// The chat pane of one room. The DOM holds a bounded window of messages (MAX_ROWS):
// following the newest messages, the oldest rows are dropped; scrolling up brings them
// back from memory or from history pages, and then the newest rows are dropped instead.

import { h, icon, replaceChildren } from "../dom.js";
import { formatDay, formatNumber, t } from "../i18n.js";
import { announce, avatar, closeMenu, confirmDialog, errorText, openDialog, popupMenu, toast } from "../ui.js";
import { perFrame, primaryLang, sameDay } from "../util.js";
import { createComposer } from "./composer.js";
import { hostMessageActions, openHostPanel } from "./hostpanel.js";
import { QUICK_REACTIONS, memberName, renderMessage } from "./message.js";

export const MAX_ROWS = 200;
const FIRST_ROWS = 60;
const STEP = 50;
const EDGE_PX = 400;
const GROUP_MS = 5 * 60 * 1000;
const TRANSLATION_WAIT_MS = 4000;

export function mountChat(app, roomId, container) {
  const state = app.state;
  let rs = state.rooms.get(roomId);
  const subs = [];
  let destroyed = false;
  let view = null;

  function waitForRoom() {
    replaceChildren(container, h("div", { class: "pane-empty", role: "status" }, t("chat.loading")));
    subs.push(state.on("rooms", check), app.conn.on("state", check));
    check();
    function check() {
      if (view || destroyed) return;
      rs = state.rooms.get(roomId);
      if (rs && rs.room) {
        view = new ChatView(app, rs, container);
      } else if (app.conn.state === "online") {
        replaceChildren(container, h("div", { class: "pane-empty" },
          h("p", null, t("chat.not_member")),
          h("a", { class: "btn btn-primary", href: `#/preview/${roomId}` }, t("chat.see_preview")),
        ));
      }
    }
  }

  if (rs && rs.room) view = new ChatView(app, rs, container);
  else waitForRoom();
  return {
    destroy() {
      destroyed = true;
      subs.forEach((u) => u());
      view?.destroy();
    },
  };
}

class ChatView {
  constructor(app, rs, container) {
    this.app = app;
    this.state = app.state;
    this.rs = rs;
    this.container = container;
    this.rows = new Map(); // seq → row element
    this.following = true;
    this.newCount = 0;
    this.loadingOlder = false;
    this.showOriginal = new Set();
    this.trStatus = new Map();
    this.fresh = new Set(); // foreign messages just arrived: their translation is on its way
    this.unreadFrom = rs.unread > 0 ? rs.readSeq : null;
    this.subs = [];
    this.hostPanel = null;
    this.build();
    this.subscribe();
    this.start();
  }

  // ---- structure -----------------------------------------------------------------

  build() {
    const rs = this.rs;
    this.header = h("header", { class: "chat-head" });
    this.noticeBar = h("div", { class: "notice-bar", hidden: true });
    this.topNote = h("div", { class: "list-edge", role: "status" });
    this.list = h("div", { class: "msg-list", role: "log", "aria-live": "off", "aria-label": t("chat.messages"), "data-testid": "messages" });
    this.pending = h("div", { class: "pending-list", "aria-live": "polite" });
    this.scroller = h("div", { class: "msg-scroll", tabindex: "0", "aria-label": t("chat.messages") }, this.topNote, this.list, this.pending);
    this.jumpBtn = h("button", { type: "button", class: "jump-btn", hidden: true, onclick: () => this.jumpToLatest() }, icon("down"), h("span", null));
    this.typingLine = h("div", { class: "typing-line", "aria-live": "polite" });
    this.composer = createComposer({
      app: this.app,
      rs,
      onSend: (body, opts) => this.send(body, opts),
      onEdit: (msg, body) => this.edit(msg, body),
    });
    this.section = h("section", { class: "chat", "aria-label": rs.room.name, "data-room": rs.id },
      this.header, this.noticeBar,
      h("div", { class: "chat-body" }, this.scroller, this.jumpBtn),
      this.typingLine, this.composer.el,
    );
    replaceChildren(this.container, this.section);
    this.renderHeader();
    this.renderComposerState();
    this.scroller.addEventListener("scroll", perFrame(() => this.onScroll()), { passive: true });
    this.scroller.addEventListener("keydown", (e) => this.onListKey(e));
    this.list.addEventListener("click", (e) => {
      // On touch screens a tap shows a message's actions (hover does on desktop).
      const msg = e.target.closest(".msg");
      if (!msg || e.target.closest("button, a")) return;
      for (const other of this.list.querySelectorAll(".msg.show-actions")) if (other !== msg) other.classList.remove("show-actions");
      msg.classList.toggle("show-actions");
    });
  }

  renderHeader() {
    const rs = this.rs;
    const room = rs.room;
    const role = rs.me ? rs.me.role : "member";
    this.sub = h("p", { class: "chat-sub", "data-testid": "room-sub" });
    this.renderSub();
    replaceChildren(this.header, 
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

  renderComposerState() {
    const rs = this.rs;
    let reason = null;
    if (rs.room.status === "closed") reason = t("chat.room_closed");
    else if (rs.room.kind === "direct_link") reason = t("chat.link_only_room");
    else if (rs.me && rs.me.timed_out_until && new Date(rs.me.timed_out_until) > new Date()) {
      reason = t("chat.timed_out", { time: new Date(rs.me.timed_out_until).toLocaleString() });
    }
    this.composer.setDisabled(reason);
  }

  subscribe() {
    const s = this.state;
    const mine = (fn) => (p) => {
      const rs = p && p.rs ? p.rs : p;
      if (rs === this.rs) fn(p);
    };
    this.subs.push(
      s.on("message", mine(({ msg, old, change }) => this.onMessage(msg, old, change))),
      s.on("translation", mine(({ seq }) => this.refresh(seq))),
      s.on("outbox", (room) => room === this.rs.id && this.renderPending()),
      s.on("typing", mine(() => this.renderTyping())),
      s.on("presence", mine(() => this.renderSub())),
      s.on("members", mine(() => this.refreshAll())),
      s.on("room", mine(() => {
        this.renderHeader();
        this.renderComposerState();
      })),
      s.on("left", ({ id }) => {
        if (id === this.rs.id) location.hash = "#/";
      }),
      s.on("op_error", (e) => {
        // A refused read marker is harmless: the next one carries a later position.
        if (e.room === this.rs.id && !e.ref && e.code !== "read_rate_limited") toast(errorText(e), "error");
      }),
    );
    const onVisible = () => this.maybeRead();
    document.addEventListener("visibilitychange", onVisible);
    this.subs.push(() => document.removeEventListener("visibilitychange", onVisible));
  }

  async start() {
    this.topNote.textContent = t("chat.loading");
    try {
      await this.state.loadNewest(this.rs);
    } catch (err) {
      this.topNote.textContent = errorText(err);
      return;
    }
    if (this.destroyed) return;
    this.state.loadMembers(this.rs).catch(() => {});
    this.renderWindow(this.rs.slice({ fromEnd: true, limit: FIRST_ROWS }));
    this.renderPending();
    const divider = this.list.querySelector(".unread-divider:not([hidden])");
    if (divider) divider.scrollIntoView({ block: "start" });
    else this.scrollToBottom();
    this.rs.viewing = true;
    this.maybeRead();
    this.fillIfShort();
    if (matchMedia("(min-width: 721px)").matches) this.composer.focus();
  }

  destroy() {
    this.destroyed = true;
    this.rs.viewing = false;
    this.subs.forEach((u) => u());
    this.hostPanel?.close();
  }

  // ---- rendering rows ------------------------------------------------------------

  ctx() {
    return {
      app: this.app,
      rs: this.rs,
      myLang: this.state.myLang,
      mode: this.app.prefs.translationMode,
      engineOn: this.state.translation.configured && this.rs.room.translation_enabled !== false,
      showOriginal: this.showOriginal,
      trStatus: this.trStatus,
      fresh: this.fresh,
      onReply: (m) => this.composer.setReply(m),
      onReact: (m, emoji) => this.react(m, emoji),
      onReactMenu: (m, anchor) => this.reactMenu(m, anchor),
      onMore: (m, anchor) => this.moreMenu(m, anchor),
      onTranslate: (m) => this.translate(m),
      onToggleOriginal: (m) => {
        if (this.showOriginal.has(m.seq)) this.showOriginal.delete(m.seq);
        else this.showOriginal.add(m.seq);
        this.refresh(m.seq, true);
      },
      onJumpTo: (seq) => this.jumpTo(seq),
    };
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

  /** Re-render one row in place (an edit, reaction, translation, toggle). */
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

  firstSeq() {
    const el = this.list.firstElementChild;
    return el ? Number(el.dataset.seq) : null;
  }

  lastSeq() {
    const el = this.list.lastElementChild;
    return el ? Number(el.dataset.seq) : null;
  }

  renderWindow(messages) {
    this.rows.clear();
    const ctx = this.ctx();
    const frag = document.createDocumentFragment();
    for (const m of messages) {
      const row = this.makeRow(m, ctx);
      this.rows.set(m.seq, row);
      frag.append(row);
    }
    replaceChildren(this.list, frag);
    this.following = !messages.length || messages[messages.length - 1].seq >= this.rs.newestSeq;
    this.regroup();
    this.updateTopNote();
  }

  appendRows(messages) {
    const ctx = this.ctx();
    for (const m of messages) {
      const row = this.makeRow(m, ctx);
      this.rows.set(m.seq, row);
      this.list.append(row);
    }
  }

  prependRows(messages) {
    const ctx = this.ctx();
    const frag = document.createDocumentFragment();
    for (const m of messages) {
      const row = this.makeRow(m, ctx);
      this.rows.set(m.seq, row);
      frag.append(row);
    }
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
    this.following = false;
  }

  /** Day separators, sender grouping and the "new messages" divider, in one pass. */
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

  updateTopNote() {
    const first = this.firstSeq();
    const more = first === null ? false : this.rs.hasOlder || this.rs.seqs[0] < first;
    this.topNote.textContent = more ? "" : t("chat.beginning");
    this.topNote.classList.toggle("start", !more);
  }

  // ---- live changes --------------------------------------------------------------

  onMessage(msg, old) {
    if (this.rows.has(msg.seq)) {
      this.refresh(msg.seq);
      this.refreshRepliesTo(msg.seq); // their quotes show the edit or the delete
      return;
    }
    if (old) return; // a change to a message outside the window
    const last = this.lastSeq();
    if (last === null || msg.seq > last) {
      const atBottom = this.atBottom();
      if (this.following && (atBottom || this.rows.size < MAX_ROWS)) {
        this.appendRows([msg]);
        if (this.rows.size > MAX_ROWS && atBottom) this.dropTop(this.rows.size - MAX_ROWS);
        this.regroup();
        if (atBottom || (this.rs.me && msg.member === this.rs.me.id)) this.scrollToBottom();
        else this.bumpNew();
      } else {
        this.following = false;
        this.bumpNew();
      }
      if (msg.kind !== "system" && !(this.rs.me && msg.member === this.rs.me.id) && !msg.deleted) {
        announce(`${memberName(this.rs, msg.member)}: ${msg.body || ""}`);
        this.expectTranslation(msg);
      }
      this.maybeRead();
    } else if (msg.seq > this.firstSeq()) {
      this.insertRow(msg);
      this.regroup();
    }
  }

  /** A live message in another language: the server is translating it for this reader;
   * offer the Translate action only if nothing came after a few seconds. */
  expectTranslation(msg) {
    if (!msg.lang || primaryLang(msg.lang) === this.state.myLang || !this.ctx().engineOn) return;
    this.fresh.add(msg.seq);
    this.refresh(msg.seq);
    setTimeout(() => {
      this.fresh.delete(msg.seq);
      if (!this.destroyed) this.refresh(msg.seq);
    }, TRANSLATION_WAIT_MS);
  }

  refreshRepliesTo(seq) {
    for (const [s, row] of this.rows) if (row._msg.reply_to === seq) this.refresh(s);
  }

  bumpNew() {
    this.newCount += 1;
    this.jumpBtn.hidden = false;
    this.jumpBtn.lastElementChild.textContent = t("chat.new_count", { n: this.newCount });
  }

  renderPending() {
    const entries = this.state.pendingFor(this.rs.id);
    replaceChildren(this.pending, ...entries.map((e) => {
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
            h("button", { type: "button", class: "link-btn", onclick: () => this.state.retry(e.client_id) }, t("chat.retry")),
            h("button", { type: "button", class: "link-btn", onclick: () => this.state.discard(e.client_id) }, t("chat.discard")),
          ) : null,
        ),
      );
    }));
    if (entries.length && this.atBottom(120)) this.scrollToBottom();
  }

  renderTyping() {
    const ids = this.state.typists(this.rs);
    if (!ids.length) {
      this.typingLine.textContent = "";
      return;
    }
    const names = ids.slice(0, 2).map((id) => memberName(this.rs, id));
    this.typingLine.textContent = ids.length > 2
      ? t("chat.typing_many", { n: ids.length })
      : t("chat.typing", { names: names.join(", ") });
  }

  // ---- scrolling -----------------------------------------------------------------

  atBottom(slack = 48) {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < slack;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  onScroll() {
    if (this.destroyed) return;
    if (this.scroller.scrollTop < EDGE_PX) this.loadOlder();
    const s = this.scroller;
    const toBottom = s.scrollHeight - s.scrollTop - s.clientHeight;
    if (!this.following && toBottom < EDGE_PX) this.loadNewer();
    if (this.following && this.atBottom()) {
      this.newCount = 0;
      this.jumpBtn.hidden = true;
      if (this.rows.size > MAX_ROWS) this.dropTop(this.rows.size - MAX_ROWS);
      this.state.trim(this.rs);
      this.maybeRead();
    }
  }

  async loadOlder() {
    if (this.loadingOlder) return;
    const first = this.firstSeq();
    if (first === null) return;
    this.loadingOlder = true;
    let failed = false;
    try {
      let older = this.rs.slice({ before: first, limit: STEP, fromEnd: true });
      if (older.length < STEP && this.rs.hasOlder) {
        this.topNote.textContent = t("chat.loading_older");
        await this.state.loadOlder(this.rs);
        older = this.rs.slice({ before: first, limit: STEP, fromEnd: true });
      }
      if (older.length && !this.destroyed) {
        this.prependRows(older);
        if (this.rows.size > MAX_ROWS) this.dropBottom(this.rows.size - MAX_ROWS);
        this.regroup();
      }
    } catch (err) {
      failed = true; // the next scroll tries again; no retry loop from here
      toast(errorText(err), "error");
    } finally {
      this.loadingOlder = false;
      this.updateTopNote();
    }
    if (!failed) this.fillIfShort();
  }

  /** A window shorter than the pane cannot be scrolled, so nothing would ask for more. */
  fillIfShort() {
    const s = this.scroller;
    const more = this.rs.hasOlder || (this.rs.seqs[0] ?? Infinity) < (this.firstSeq() ?? -Infinity);
    if (!this.destroyed && more && s.scrollHeight <= s.clientHeight + 8 && this.rows.size < MAX_ROWS) {
      requestAnimationFrame(() => this.loadOlder());
    }
  }

  loadNewer() {
    const last = this.lastSeq();
    const newer = this.rs.slice({ after: last, limit: STEP });
    if (newer.length) {
      this.appendRows(newer);
      if (this.rows.size > MAX_ROWS) this.dropTop(this.rows.size - MAX_ROWS);
      this.regroup();
      this.updateTopNote();
    }
    if ((this.lastSeq() ?? 0) >= this.rs.newestSeq) {
      this.following = true;
      this.newCount = 0;
      this.jumpBtn.hidden = true;
    }
  }

  jumpToLatest() {
    this.renderWindow(this.rs.slice({ fromEnd: true, limit: FIRST_ROWS }));
    this.following = true;
    this.newCount = 0;
    this.jumpBtn.hidden = true;
    this.scrollToBottom();
    this.maybeRead();
  }

  async jumpTo(seq) {
    let pages = 0;
    while (!this.rs.msgs.has(seq) && this.rs.hasOlder && seq < this.rs.lo && pages < 20) {
      await this.state.loadOlder(this.rs);
      pages += 1;
    }
    if (!this.rs.msgs.has(seq)) {
      toast(t("chat.reply_unavailable"));
      return;
    }
    if (!this.rows.has(seq)) {
      const above = this.rs.slice({ before: seq + 1, limit: STEP, fromEnd: true });
      const below = this.rs.slice({ after: seq, limit: STEP });
      this.renderWindow([...above, ...below]);
    }
    const target = this.rows.get(seq).lastElementChild;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1600);
    target.focus({ preventScroll: true });
  }

  maybeRead() {
    if (this.destroyed || document.visibilityState !== "visible") return;
    if (!this.following || !this.atBottom(80)) return;
    const newest = this.rs.newestSeq;
    if (newest) this.state.markRead(this.rs, newest);
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

  // ---- actions -------------------------------------------------------------------

  send(body, opts) {
    this.state.send(this.rs.id, body, opts);
    this.jumpToLatestIfNeeded();
  }

  jumpToLatestIfNeeded() {
    if (!this.following) this.jumpToLatest();
    else this.scrollToBottom();
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

  roomMenu(anchor) {
    const rs = this.rs;
    const link = `${location.origin}${rs.room.link}`;
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
    const members = [...this.rs.members.values()].sort((a, b) => (a.role === b.role ? a.nickname.localeCompare(b.nickname) : a.role === "host" ? -1 : b.role === "host" ? 1 : a.role === "cohost" ? -1 : 1));
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
}

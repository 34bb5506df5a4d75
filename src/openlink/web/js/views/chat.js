// The chat pane of one room. The DOM holds a bounded window of messages (MAX_ROWS):
// following the newest messages, the oldest rows are dropped; scrolling up brings them
// back from memory or from history pages, and then the newest rows are dropped instead.
// The head (chat/header.js), what one does to a message (chat/actions.js) and the lines
// under the messages (chat/lines.js) live beside it.

import { h, icon, replaceChildren } from "../dom.js";
import { t } from "../i18n.js";
import { announce, errorText, toast } from "../ui.js";
import { perFrame, primaryLang } from "../util.js";
import { MessageActions } from "./chat/actions.js";
import { ChatHeader } from "./chat/header.js";
import { renderPending, renderTyping, showProgress } from "./chat/lines.js";
import { MessageRows } from "./chat/rows.js";
import { createComposer } from "./composer.js";
import { memberName } from "./message.js";

export const MAX_ROWS = 200;
const FIRST_ROWS = 60;
const STEP = 50;
const EDGE_PX = 400;
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
    this.following = true;
    this.newCount = 0;
    this.loadingOlder = false;
    this.showOriginal = new Set();
    this.fresh = new Set(); // foreign messages just arrived: their translation is on its way
    this.subs = [];
    this.build();
    this.subscribe();
    this.start();
  }

  // ---- structure -----------------------------------------------------------------

  build() {
    const rs = this.rs;
    this.header = new ChatHeader(this.app, rs);
    this.topNote = h("div", { class: "list-edge", role: "status" });
    this.list = h("div", { class: "msg-list", role: "log", "aria-live": "off", "aria-label": t("chat.messages"), "data-testid": "messages" });
    this.pending = h("div", { class: "pending-list", "aria-live": "polite" });
    this.scroller = h("div", { class: "msg-scroll", tabindex: "0", "aria-label": t("chat.messages") }, this.topNote, this.list, this.pending);
    this.win = new MessageRows({ rs, list: this.list, scroller: this.scroller, ctx: () => this.ctx(), unreadFrom: rs.unread > 0 ? rs.readSeq : null });
    this.jumpBtn = h("button", { type: "button", class: "jump-btn", hidden: true, onclick: () => this.jumpToLatest() }, icon("down"), h("span", null));
    this.typingLine = h("div", { class: "typing-line", "aria-live": "polite" });
    this.composer = createComposer({
      app: this.app,
      rs,
      onSend: (body, opts) => this.send(body, opts),
      onEdit: (msg, body) => this.actions.edit(msg, body),
    });
    this.actions = new MessageActions({ app: this.app, rs, composer: this.composer, refresh: (seq) => this.win.refresh(seq) });
    this.section = h("section", { class: "chat", "aria-label": rs.room.name, "data-room": rs.id },
      this.header.el, this.header.noticeBar,
      h("div", { class: "chat-body" }, this.scroller, this.jumpBtn),
      this.typingLine, this.composer.el,
    );
    replaceChildren(this.container, this.section);
    this.header.render();
    this.renderComposerState();
    this.scroller.addEventListener("scroll", perFrame(() => this.onScroll()), { passive: true });
    // Files dropped anywhere on the chat go into the composer.
    const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
    this.section.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      this.section.classList.add("drop-target");
    });
    this.section.addEventListener("dragleave", (e) => {
      if (!this.section.contains(e.relatedTarget)) this.section.classList.remove("drop-target");
    });
    this.section.addEventListener("drop", (e) => {
      this.section.classList.remove("drop-target");
      if (!hasFiles(e)) return;
      e.preventDefault();
      this.composer.addFiles([...e.dataTransfer.files]);
    });
    this.scroller.addEventListener("keydown", (e) => this.win.onListKey(e));
    this.list.addEventListener("click", (e) => {
      // On touch screens a tap shows a message's actions (hover does on desktop).
      const msg = e.target.closest(".msg");
      if (!msg || e.target.closest("button, a")) return;
      for (const other of this.list.querySelectorAll(".msg.show-actions")) if (other !== msg) other.classList.remove("show-actions");
      msg.classList.toggle("show-actions");
    });
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
      s.on("translation", mine(({ seq }) => this.win.refresh(seq))),
      s.on("outbox", (room) => {
        if (room !== this.rs.id) return;
        this.renderPending();
        this.composer.renderTray();
      }),
      s.on("upload_progress", (item) => item.room === this.rs.id && showProgress(this.section, item)),
      s.on("typing", mine(() => this.renderTyping())),
      s.on("presence", mine(() => this.header.renderSub())),
      s.on("members", mine(() => this.win.refreshAll())),
      s.on("room", mine(() => {
        this.header.render();
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
    this.showWindow(this.rs.slice({ fromEnd: true, limit: FIRST_ROWS }));
    this.renderPending();
    const divider = this.list.querySelector(".unread-divider:not([hidden])");
    if (divider) divider.scrollIntoView({ block: "start" });
    else this.win.scrollToBottom();
    this.rs.viewing = true;
    this.maybeRead();
    this.fillIfShort();
    if (matchMedia("(min-width: 721px)").matches) this.composer.focus();
  }

  destroy() {
    this.destroyed = true;
    this.rs.viewing = false;
    this.subs.forEach((u) => u());
    clearTimeout(this.recheckTimer);
    this.header.destroy();
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
      trStatus: this.actions.trStatus,
      fresh: this.fresh,
      onReply: (m) => this.composer.setReply(m),
      onReact: (m, emoji) => this.actions.react(m, emoji),
      onReactMenu: (m, anchor) => this.actions.reactMenu(m, anchor),
      onMore: (m, anchor) => this.actions.moreMenu(m, anchor),
      onTranslate: (m) => this.actions.translate(m),
      onToggleOriginal: (m) => {
        if (this.showOriginal.has(m.seq)) this.showOriginal.delete(m.seq);
        else this.showOriginal.add(m.seq);
        this.win.refresh(m.seq, true);
      },
      onJumpTo: (seq) => this.jumpTo(seq),
    };
  }


  /** Re-render one row in place (an edit, reaction, translation, toggle). */










  /** Day separators, sender grouping and the "new messages" divider, in one pass. */

  /** Show these messages alone (the newest, or around a message jumped to). */
  showWindow(messages) {
    this.win.renderWindow(messages);
    this.following = !messages.length || messages[messages.length - 1].seq >= this.rs.newestSeq;
    this.updateTopNote();
  }

  updateTopNote() {
    const first = this.win.firstSeq();
    const more = first === null ? false : this.rs.hasOlder || this.rs.seqs[0] < first;
    this.topNote.textContent = more ? "" : t("chat.beginning");
    this.topNote.classList.toggle("start", !more);
  }

  // ---- live changes --------------------------------------------------------------

  onMessage(msg, old) {
    if (this.win.has(msg.seq)) {
      this.win.refresh(msg.seq);
      this.win.refreshRepliesTo(msg.seq); // their quotes show the edit or the delete
      return;
    }
    if (old) return; // a change to a message outside the window
    const last = this.win.lastSeq();
    if (last === null || msg.seq > last) {
      const atBottom = this.win.atBottom();
      if (this.following && (atBottom || this.win.size < MAX_ROWS)) {
        this.win.appendRows([msg]);
        if (this.win.size > MAX_ROWS && atBottom) this.win.dropTop(this.win.size - MAX_ROWS);
        this.win.regroup();
        if (atBottom || (this.rs.me && msg.member === this.rs.me.id)) this.win.scrollToBottom();
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
    } else if (msg.seq > this.win.firstSeq()) {
      this.win.insertRow(msg);
      this.win.regroup();
    }
  }

  /** A live message in another language: the server is translating it for this reader;
   * offer the Translate action only if nothing came after a few seconds. */
  expectTranslation(msg) {
    if (!msg.lang || primaryLang(msg.lang) === this.state.myLang || !this.ctx().engineOn) return;
    this.fresh.add(msg.seq);
    this.win.refresh(msg.seq);
    setTimeout(() => {
      this.fresh.delete(msg.seq);
      if (!this.destroyed) this.win.refresh(msg.seq);
    }, TRANSLATION_WAIT_MS);
  }


  renderPending() {
    const { count, recheckMs } = renderPending(this.pending, this.state, this.rs, {
      edit: (entry) => {
        this.state.outbox.discard(entry.client_id);
        this.composer.setText(entry.body);
      },
    });
    if (count && this.win.atBottom(120)) this.win.scrollToBottom();
    clearTimeout(this.recheckTimer);
    // A refusal that time cures offers its retry when the time has come.
    if (Number.isFinite(recheckMs)) this.recheckTimer = setTimeout(() => this.renderPending(), Math.min(recheckMs + 500, 2 ** 31 - 1));
  }

  renderTyping() {
    renderTyping(this.typingLine, this.state, this.rs);
  }

  bumpNew() {
    this.newCount += 1;
    this.jumpBtn.hidden = false;
    this.jumpBtn.lastElementChild.textContent = t("chat.new_count", { n: this.newCount });
  }



  // ---- scrolling -----------------------------------------------------------------



  onScroll() {
    if (this.destroyed) return;
    if (this.scroller.scrollTop < EDGE_PX) this.loadOlder();
    const s = this.scroller;
    const toBottom = s.scrollHeight - s.scrollTop - s.clientHeight;
    if (!this.following && toBottom < EDGE_PX) this.loadNewer();
    if (this.following && this.win.atBottom()) {
      this.newCount = 0;
      this.jumpBtn.hidden = true;
      if (this.win.size > MAX_ROWS) this.win.dropTop(this.win.size - MAX_ROWS);
      this.state.trim(this.rs);
      this.maybeRead();
    }
  }

  async loadOlder() {
    if (this.loadingOlder) return;
    const first = this.win.firstSeq();
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
        this.win.prependRows(older);
        if (this.win.size > MAX_ROWS) {
          this.win.dropBottom(this.win.size - MAX_ROWS);
          this.following = false;
        }
        this.win.regroup();
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
    const more = this.rs.hasOlder || (this.rs.seqs[0] ?? Infinity) < (this.win.firstSeq() ?? -Infinity);
    if (!this.destroyed && more && s.scrollHeight <= s.clientHeight + 8 && this.win.size < MAX_ROWS) {
      requestAnimationFrame(() => this.loadOlder());
    }
  }

  loadNewer() {
    const last = this.win.lastSeq();
    const newer = this.rs.slice({ after: last, limit: STEP });
    if (newer.length) {
      this.win.appendRows(newer);
      if (this.win.size > MAX_ROWS) this.win.dropTop(this.win.size - MAX_ROWS);
      this.win.regroup();
      this.updateTopNote();
    }
    if ((this.win.lastSeq() ?? 0) >= this.rs.newestSeq) {
      this.following = true;
      this.newCount = 0;
      this.jumpBtn.hidden = true;
    }
  }

  jumpToLatest() {
    this.showWindow(this.rs.slice({ fromEnd: true, limit: FIRST_ROWS }));
    this.following = true;
    this.newCount = 0;
    this.jumpBtn.hidden = true;
    this.win.scrollToBottom();
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
    if (!this.win.has(seq)) {
      const above = this.rs.slice({ before: seq + 1, limit: STEP, fromEnd: true });
      const below = this.rs.slice({ after: seq, limit: STEP });
      this.showWindow([...above, ...below]);
    }
    const target = this.win.rows.get(seq).lastElementChild;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1600);
    target.focus({ preventScroll: true });
  }

  maybeRead() {
    if (this.destroyed || document.visibilityState !== "visible") return;
    if (!this.following || !this.win.atBottom(80)) return;
    const newest = this.rs.newestSeq;
    if (newest) this.state.markRead(this.rs, newest);
  }


  // ---- actions -------------------------------------------------------------------

  send(body, opts) {
    if (body !== null) this.state.outbox.send(this.rs.id, body, opts); // null: held with its files
    this.jumpToLatestIfNeeded();
  }

  jumpToLatestIfNeeded() {
    if (!this.following) this.jumpToLatest();
    else this.win.scrollToBottom();
  }












}

// What the client knows: my rooms (state/room.js), their messages by seq, translations and
// members, the outbox of unacknowledged sends (state/outbox.js) and my pending join
// requests (state/requests.js). Fed by the WebSocket and by HTTP history pages; views
// subscribe to its events.
//
// The resume rules (docs/protocol.md, "Resuming"): upsert a message by seq and ignore it
// unless its rev is higher than the one held; a room's `since` is the highest rev applied.
// Each room holds a contiguous range of messages from `lo` upwards; changes to messages
// below `lo` only move `since` (their current state comes with the history page that
// loads them later).

import { Outbox } from "./state/outbox.js";
import { JoinRequests } from "./state/requests.js";
import { RoomState } from "./state/room.js";
import { Uploads } from "./state/uploads.js";
import { Emitter, primaryLang } from "./util.js";

const PAGE = 50;
const STORE_MAX = 600; // messages held per room before the oldest are let go
const STORE_KEEP = 400;
const MEMBER_PAGES = 4; // up to 2,000 members are loaded to name senders
// Read markers go out at most this often per room (the server limits them per account);
// the latest one is sent when the interval has passed.
const READ_EVERY_MS = 2000;

export class ChatState extends Emitter {
  constructor(api, conn, getToken = () => null) {
    super();
    this.api = api;
    this.conn = conn;
    this.user = null;
    this.rooms = new Map();
    this.outbox = new Outbox(conn, (roomId) => this.emit("outbox", roomId));
    this.requests = new JoinRequests(() => this.emit("rooms"));
    // Progress of one upload is its own event, so views update a bar rather than redraw.
    this.uploads = new Uploads({
      api,
      getToken,
      outbox: this.outbox,
      changed: (room, item) => (item ? this.emit("upload_progress", item) : this.emit("outbox", room)),
    });
    this.translation = { configured: false, engine: "none" };
    this.resetSynced();
    conn.on("ready", (e) => this.onReady(e));
    conn.on("message", (e) => this.onMessage(e));
    conn.on("message.translated", (e) => this.onTranslated(e));
    conn.on("ack", (e) => this.outbox.acked(e));
    conn.on("error", (e) => this.onError(e));
    conn.on("presence", (e) => this.onPresence(e));
    conn.on("typing", (e) => this.onTyping(e));
    conn.on("joined", (e) => this.onJoined(e));
    conn.on("left", (e) => this.onLeft(e));
    conn.on("read", (e) => this.onRead(e));
    conn.on("join_request_decided", (e) => this.onRequestDecided(e));
    conn.on("media.ready", (e) => this.uploads.onEvent(e));
    conn.on("media.failed", (e) => this.uploads.onEvent(e));
  }

  // ---- account -------------------------------------------------------------------

  /** `synced` resolves at the first `ready`: from then on "am I in this room?" is known. */
  resetSynced() {
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
  }

  setUser(user) {
    const changed = !this.user || this.user.id !== user.id;
    if (!changed && primaryLang(user.language) !== this.myLang) {
      // Translations held are in the old reading language; the new ones come after the
      // reconnect (live) or with history.
      for (const rs of this.rooms.values()) rs.translations.clear();
    }
    this.user = user;
    if (changed) {
      this.rooms.clear();
      this.outbox.load(this.key("outbox"));
      this.requests.load(this.key("requests"));
    }
    this.emit("user", user);
  }

  get myLang() {
    return primaryLang(this.user && this.user.language);
  }

  key(name) {
    return `openlink.${name}.${this.user ? this.user.id : "anon"}`;
  }

  reset() {
    this.resetSynced();
    this.user = null;
    this.rooms.clear();
    this.outbox.load(null);
    this.requests.load(null);
    this.emit("rooms");
  }

  /** room id → highest rev applied, for the hello. */
  sinceMap() {
    const since = {};
    for (const rs of this.rooms.values()) if (rs.since !== null) since[rs.id] = rs.since;
    return since;
  }

  roomList() {
    return [...this.rooms.values()]
      .filter((rs) => rs.room)
      .sort((a, b) => (a.activity() < b.activity() ? 1 : a.activity() > b.activity() ? -1 : 0));
  }

  totalUnread() {
    let n = 0;
    for (const rs of this.rooms.values()) n += rs.unread;
    return n;
  }

  // ---- WebSocket events ----------------------------------------------------------

  onReady(event) {
    this.user = { ...this.user, ...event.user, language: event.user.language };
    const seen = new Set();
    for (const item of event.rooms) {
      seen.add(item.id);
      const rs = this.rooms.get(item.id) || new RoomState(item.id);
      this.rooms.set(item.id, rs);
      this.absorbListItem(rs, item);
      if (rs.since === null) {
        // Not tracked yet: the socket carries it live from its current counter.
        rs.since = item.last_seq;
        rs.lo = item.last_seq + 1;
      }
      if (item.last_message) this.noteLast(rs, item.last_message);
    }
    for (const [id, rs] of [...this.rooms]) {
      if (seen.has(id) || !rs.room) continue;
      this.rooms.delete(id); // left (or removed) while this socket was away
      this.emit("left", { id, name: rs.room.name, reason: null });
    }
    this.requests.dropJoined(seen);
    this.emit("rooms");
    this.markSynced();
    this.outbox.flush((id) => this.rooms.has(id));
  }

  absorbListItem(rs, item) {
    const { me, read_seq, unread, last_message, ...room } = item;
    rs.room = room;
    rs.countedSeq = room.last_seq ?? rs.countedSeq;
    if (me) {
      rs.me = me;
      rs.members.set(me.id, me);
    }
    if (typeof read_seq === "number") rs.readSeq = read_seq;
    if (typeof unread === "number") {
      rs.unread = unread;
      rs.unreadBase = room.last_seq ?? rs.unreadBase;
    }
  }

  noteLast(rs, msg) {
    const last = rs.lastMessage;
    if (!last || msg.seq > last.seq || (msg.seq === last.seq && msg.rev >= last.rev)) rs.lastMessage = msg;
  }

  onMessage({ message: msg, change }) {
    const rs = this.rooms.get(msg.room);
    if (!rs) return;
    const isNewText =
      change === "new" && msg.kind === "text" && !msg.deleted && rs.me && msg.member !== rs.me.id;
    if (isNewText && msg.seq > rs.readSeq && msg.seq > rs.unreadBase && !rs.msgs.has(msg.seq)) {
      rs.unread += 1;
      if (rs.me && (msg.mentions || []).includes(rs.me.id)) this.emit("mentioned", { rs, msg });
    }
    this.apply(rs, msg, change);
    if (!rs.viewing) this.trim(rs); // rooms nobody looks at keep only their newest messages
    if (change === "new" && rs.typing.delete(msg.member)) this.emit("typing", rs); // they sent it
    if (msg.kind === "system" && msg.system) this.onSystem(rs, msg, change);
    this.emit("rooms");
  }

  /** Upsert one message; returns true if the held state changed. */
  apply(rs, msg, change = "history") {
    if (rs.since !== null && msg.rev > rs.since) rs.since = msg.rev;
    this.noteLast(rs, msg);
    if (msg.kind === "system" && msg.system && msg.system.event === "joined" && msg.system.profile) {
      rs.members.set(msg.system.profile.id, msg.system.profile);
    }
    if (msg.seq < rs.lo) return false;
    const old = rs.msgs.get(msg.seq);
    if (old && old.rev >= msg.rev) return false;
    // The rev its text has had since: a reaction or a link preview takes a new rev but
    // leaves the text, so a translation made before it still belongs to the message.
    msg.textRev = old && old.body === msg.body && !old.deleted && !old.hidden ? (old.textRev ?? old.rev) : msg.rev;
    rs.msgs.set(msg.seq, msg);
    if (!old) rs.insertSeq(msg.seq);
    if (msg.deleted || msg.hidden) rs.translations.delete(msg.seq);
    const pending = rs.translations.get(msg.seq);
    if (pending && pending.forBody === undefined && pending.rev === msg.rev) pending.forBody = msg.body;
    if (!old && rs.me && msg.member === rs.me.id && msg.kind === "text") this.outbox.match(rs, msg);
    this.emit("message", { rs, msg, old, change });
    return true;
  }

  onSystem(rs, msg, change) {
    const ev = msg.system.event;
    const delta = { joined: 1, left: -1, kicked: -1, banned: -1 }[ev];
    if (delta && change === "new" && msg.seq > rs.countedSeq && rs.room) {
      rs.countedSeq = msg.seq;
      rs.room = { ...rs.room, member_count: Math.max(0, rs.room.member_count + delta) };
      this.emit("room", rs);
    }
    if (["room_updated", "notice_pinned", "notice_unpinned", "host_changed", "closed"].includes(ev) ||
        ev.startsWith("cohost_") || ev === "timed_out" || ev === "timeout_lifted") {
      this.refreshRoom(rs.id);
    }
  }

  async refreshRoom(id) {
    try {
      const view = await this.api.get(`/api/rooms/${id}`);
      const rs = this.rooms.get(id);
      if (!rs) return;
      const { me, read_seq, unread, ...room } = view;
      rs.room = { ...rs.room, ...room };
      rs.countedSeq = Math.max(rs.countedSeq, room.last_seq ?? 0);
      if (me) {
        rs.me = me;
        rs.members.set(me.id, me);
      }
      this.emit("room", rs);
      this.emit("rooms");
    } catch {
      /* the next event or reconnect brings it */
    }
  }

  onTranslated(e) {
    if (primaryLang(e.lang) !== this.myLang) return;
    const rs = this.rooms.get(e.room);
    if (!rs) return;
    const old = rs.translations.get(e.seq);
    if (old && old.rev >= e.rev) return;
    const msg = rs.msgs.get(e.seq);
    let forBody;
    if (msg && msg.rev >= e.rev && e.rev >= msg.textRev) forBody = msg.body;
    else if (msg && msg.rev > e.rev) return; // the text changed since: a newer one follows
    rs.translations.set(e.seq, { rev: e.rev, lang: e.lang, body: e.body, source_lang: e.source_lang, forBody });
    this.emit("translation", { rs, seq: e.seq });
  }

  setTranslation(rs, tr) {
    const msg = rs.msgs.get(tr.seq);
    if (!msg || msg.rev !== tr.rev) return;
    rs.translations.set(tr.seq, { rev: tr.rev, lang: tr.lang, body: tr.body, source_lang: tr.source_lang, forBody: msg.body });
    this.emit("translation", { rs, seq: tr.seq });
  }

  onPresence(e) {
    const rs = this.rooms.get(e.room);
    if (!rs) return;
    rs.online = e.online;
    this.emit("presence", rs);
  }

  onTyping(e) {
    const rs = this.rooms.get(e.room);
    if (!rs || (rs.me && e.member === rs.me.id)) return;
    rs.typing.set(e.member, Date.now() + 5000);
    this.emit("typing", rs);
    setTimeout(() => this.emit("typing", rs), 5100);
  }

  typists(rs) {
    const now = Date.now();
    for (const [id, until] of rs.typing) if (until < now) rs.typing.delete(id);
    return [...rs.typing.keys()];
  }

  onJoined(e) {
    const rs = this.rooms.get(e.room.id) || new RoomState(e.room.id);
    this.rooms.set(rs.id, rs);
    rs.room = e.room;
    rs.countedSeq = Math.max(rs.countedSeq, e.room.last_seq ?? e.since + 1);
    rs.me = e.member;
    rs.members.set(e.member.id, e.member);
    if (rs.since === null) {
      rs.since = e.since;
      rs.readSeq = Math.max(rs.readSeq, e.since);
      rs.unreadBase = Math.max(rs.unreadBase, e.since);
    }
    rs.lo = Math.min(rs.lo, e.since + 1);
    this.requests.forget(rs.id);
    this.emit("joined", rs);
    this.emit("rooms");
  }

  onLeft(e) {
    const rs = this.rooms.get(e.room);
    this.rooms.delete(e.room);
    this.outbox.dropRoom(e.room);
    this.emit("left", { id: e.room, name: rs && rs.room ? rs.room.name : "", reason: e.reason || null });
    this.emit("rooms");
  }

  onRead(e) {
    const rs = this.rooms.get(e.room);
    if (!rs) return;
    rs.readSeq = Math.max(rs.readSeq, e.seq);
    this.emit("rooms");
  }

  onRequestDecided(e) {
    this.requests.decided(e.room, e.request);
    this.emit("request_decided", e);
    this.emit("rooms");
  }

  // ---- history -------------------------------------------------------------------

  /** The newest page, the first time a room is opened. */
  async loadNewest(rs) {
    if (rs.loaded) return;
    const page = await this.api.get(`/api/rooms/${rs.id}/messages`, { limit: PAGE });
    this.absorbPage(rs, page.messages, { lowest: true, hasMore: page.has_more });
    if (typeof page.read_seq === "number") rs.readSeq = Math.max(rs.readSeq, page.read_seq);
    if (rs.since === null) rs.since = page.last_seq;
    rs.loaded = true;
    this.emit("rooms");
  }

  /** Older messages below what is held; returns how many came. */
  async loadOlder(rs) {
    if (!rs.hasOlder) return 0;
    const before = Number.isFinite(rs.lo) ? rs.lo : undefined;
    const page = await this.api.get(`/api/rooms/${rs.id}/messages`, { before, limit: PAGE });
    this.absorbPage(rs, page.messages, { lowest: true, hasMore: page.has_more });
    return page.messages.length;
  }

  absorbPage(rs, messages, { lowest, hasMore }) {
    if (lowest && messages.length) {
      const min = messages[0].seq;
      if (min < rs.lo) {
        rs.lo = min;
        rs.hasOlder = hasMore;
      }
    } else if (lowest && !messages.length) {
      rs.hasOlder = false;
    }
    for (const msg of messages) {
      const { translation, my_reactions, ...view } = msg;
      if (my_reactions) rs.myReactions.set(msg.seq, new Set(my_reactions));
      this.apply(rs, view, "history");
      const held = rs.msgs.get(msg.seq);
      if (translation && held && held.rev === msg.rev && primaryLang(translation.lang) === this.myLang) {
        rs.translations.set(msg.seq, { rev: msg.rev, lang: translation.lang, body: translation.body,
          source_lang: msg.lang, forBody: msg.body });
      }
    }
  }

  /** Let the oldest held messages go (the view follows the newest ones). */
  trim(rs) {
    if (rs.seqs.length <= STORE_MAX) return;
    const drop = rs.seqs.splice(0, rs.seqs.length - STORE_KEEP);
    for (const s of drop) {
      rs.msgs.delete(s);
      rs.translations.delete(s);
      rs.myReactions.delete(s);
    }
    rs.lo = rs.seqs[0];
    rs.hasOlder = true;
  }

  async loadMembers(rs) {
    if (rs.membersLoaded) return;
    rs.membersLoaded = true;
    let after = null;
    for (let i = 0; i < MEMBER_PAGES; i += 1) {
      const page = await this.api.get(`/api/rooms/${rs.id}/members`, { after, limit: 500 });
      for (const m of page.members) rs.members.set(m.id, m);
      if (!page.next) break;
      after = page.next;
    }
    this.emit("members", rs);
  }

  // ---- sending -------------------------------------------------------------------

  onError(e) {
    if (e.ref) this.outbox.failed(e);
    this.emit("op_error", e);
  }

  // ---- read markers, typing, reactions ------------------------------------------

  markRead(rs, seq) {
    if (!seq || seq <= rs.readSeq) {
      if (rs.unread && seq >= (rs.lastMessage ? rs.lastMessage.seq : 0)) {
        rs.unread = 0;
        this.emit("rooms");
      }
      return;
    }
    rs.readSeq = seq;
    if (!rs.lastMessage || seq >= rs.lastMessage.seq) rs.unread = 0;
    this.sendRead(rs);
    this.emit("rooms");
  }

  sendRead(rs) {
    const wait = (rs.readSentAt || 0) + READ_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!rs.readTimer) {
        rs.readTimer = setTimeout(() => {
          rs.readTimer = null;
          this.sendRead(rs);
        }, wait);
      }
      return;
    }
    rs.readSentAt = Date.now();
    const seq = rs.readSeq;
    if (!this.conn.send({ op: "read", room: rs.id, seq })) {
      this.api.post(`/api/rooms/${rs.id}/read`, { seq }).catch(() => {});
    }
  }

  typing(rs) {
    this.conn.send({ op: "typing", room: rs.id });
  }

  async toggleReaction(rs, seq, emoji) {
    const mine = rs.myReactions.get(seq) || new Set();
    const path = `/api/rooms/${rs.id}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;
    const had = mine.has(emoji);
    const msg = had ? await this.api.del(path) : await this.api.put(path);
    if (had) mine.delete(emoji);
    else mine.add(emoji);
    rs.myReactions.set(seq, mine);
    if (!this.apply(rs, msg, "reactions")) {
      const held = rs.msgs.get(seq);
      if (held) this.emit("message", { rs, msg: held, old: held, change: "reactions" });
    }
  }

  /** A room just joined or created over HTTP, before its `joined` event arrives. */
  ensureRoom(room, me) {
    let rs = this.rooms.get(room.id);
    if (!rs) {
      rs = new RoomState(room.id);
      rs.lo = room.last_seq || 1; // keep the newest message (our own `joined`) and all after
      rs.readSeq = room.last_seq || 0;
      rs.unreadBase = room.last_seq || 0;
      this.rooms.set(room.id, rs);
    }
    rs.room = { ...rs.room, ...room };
    rs.countedSeq = Math.max(rs.countedSeq, room.last_seq ?? 0);
    if (me) {
      rs.me = me;
      rs.members.set(me.id, me);
    }
    this.requests.forget(room.id);
    this.emit("rooms");
    return rs;
  }
}

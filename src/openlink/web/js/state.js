// What the client knows: my rooms, their messages by seq, translations, members, the
// outbox of unacknowledged sends, and pending join requests. Fed by the WebSocket and by
// HTTP history pages; views subscribe to its events.
//
// The resume rules (docs/protocol.md, "Resuming"): upsert a message by seq and ignore it
// unless its rev is higher than the one held; a room's `since` is the highest rev applied.
// Each room holds a contiguous range of messages from `lo` upwards; changes to messages
// below `lo` only move `since` (their current state comes with the history page that
// loads them later).

import { Emitter, primaryLang, storage, uuid } from "./util.js";

const PAGE = 50;
const STORE_MAX = 600; // messages held per room before the oldest are let go
const STORE_KEEP = 400;
const MEMBER_PAGES = 4; // up to 2,000 members are loaded to name senders
// Read markers go out at most this often per room (the server limits them per account);
// the latest one is sent when the interval has passed.
const READ_EVERY_MS = 2000;

export class RoomState {
  constructor(id) {
    this.id = id;
    this.room = null;
    this.me = null;
    this.readSeq = 0;
    this.unread = 0;
    this.unreadBase = 0; // live messages at or below this seq are already counted in `unread`
    this.countedSeq = 0; // joins and leaves at or below this seq are in room.member_count
    this.lastMessage = null;
    this.since = null;
    this.lo = Infinity;
    this.loaded = false;
    this.hasOlder = true;
    this.msgs = new Map();
    this.seqs = []; // ascending
    this.translations = new Map(); // seq → {rev, lang, body, source_lang, forBody}
    this.myReactions = new Map(); // seq → Set(emoji)
    this.members = new Map();
    this.membersLoaded = false;
    this.online = null;
    this.typing = new Map(); // member id → expiry (ms)
    this.viewing = false; // the chat view follows the newest messages of this room
  }

  get newestSeq() {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  activity() {
    return (this.lastMessage && this.lastMessage.created_at) || (this.room && this.room.created_at) || "";
  }

  insertSeq(seq) {
    const a = this.seqs;
    if (!a.length || a[a.length - 1] < seq) {
      a.push(seq);
      return;
    }
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    a.splice(lo, 0, seq);
  }

  /** The held messages with seq in (after, before), ascending, at most `limit` from the given end. */
  slice({ after = -Infinity, before = Infinity, limit = PAGE, fromEnd = false } = {}) {
    const picked = this.seqs.filter((s) => s > after && s < before);
    const seqs = fromEnd ? picked.slice(-limit) : picked.slice(0, limit);
    return seqs.map((s) => this.msgs.get(s));
  }

  translationFor(msg) {
    const tr = this.translations.get(msg.seq);
    if (!tr || msg.deleted || msg.hidden || tr.forBody !== msg.body) return null;
    return tr;
  }
}

export class ChatState extends Emitter {
  constructor(api, conn) {
    super();
    this.api = api;
    this.conn = conn;
    this.user = null;
    this.rooms = new Map();
    this.outbox = [];
    this.acked = new Map(); // client_id → seq
    this.requests = new Map(); // room id → {room, request}
    this.translation = { configured: false, engine: "none" };
    this.resetSynced();
    conn.on("ready", (e) => this.onReady(e));
    conn.on("message", (e) => this.onMessage(e));
    conn.on("message.translated", (e) => this.onTranslated(e));
    conn.on("ack", (e) => this.onAck(e));
    conn.on("error", (e) => this.onError(e));
    conn.on("presence", (e) => this.onPresence(e));
    conn.on("typing", (e) => this.onTyping(e));
    conn.on("joined", (e) => this.onJoined(e));
    conn.on("left", (e) => this.onLeft(e));
    conn.on("read", (e) => this.onRead(e));
    conn.on("join_request_decided", (e) => this.onRequestDecided(e));
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
      this.outbox = storage.get(this.key("outbox"), []) || [];
      for (const e of this.outbox) if (e.state === "sent") e.state = "queued";
      this.requests = new Map(Object.entries(storage.get(this.key("requests"), {}) || {}));
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
    this.outbox = [];
    this.requests = new Map();
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
    for (const [id, r] of this.requests) if (seen.has(id) && r.request.status !== "rejected") this.requests.delete(id);
    this.saveRequests();
    this.emit("rooms");
    this.markSynced();
    this.flushOutbox();
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
    rs.msgs.set(msg.seq, msg);
    if (!old) rs.insertSeq(msg.seq);
    if (msg.deleted || msg.hidden) rs.translations.delete(msg.seq);
    const pending = rs.translations.get(msg.seq);
    if (pending && pending.forBody === undefined && pending.rev === msg.rev) pending.forBody = msg.body;
    if (!old && rs.me && msg.member === rs.me.id && msg.kind === "text") this.matchOutbox(rs, msg);
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
    if (msg && msg.rev === e.rev) forBody = msg.body;
    else if (msg && msg.rev > e.rev) return; // the message changed since: a newer one follows
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
    this.requests.delete(rs.id);
    this.saveRequests();
    this.emit("joined", rs);
    this.emit("rooms");
  }

  onLeft(e) {
    const rs = this.rooms.get(e.room);
    this.rooms.delete(e.room);
    this.outbox = this.outbox.filter((x) => x.room !== e.room);
    this.saveOutbox();
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
    const entry = this.requests.get(e.room);
    // An approval is an invitation: the request stays listed until the applicant enters.
    if (entry) entry.request = e.request;
    this.saveRequests();
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

  send(roomId, body, { reply_to, mentions } = {}) {
    const entry = { client_id: uuid(), room: roomId, body, state: "queued", at: new Date().toISOString() };
    if (reply_to) entry.reply_to = reply_to;
    if (mentions && mentions.length) entry.mentions = mentions;
    this.outbox.push(entry);
    this.trySend(entry);
    this.saveOutbox();
    this.emit("outbox", roomId);
    return entry;
  }

  trySend(entry) {
    const op = { op: "send", room: entry.room, client_id: entry.client_id, body: entry.body };
    if (entry.reply_to) op.reply_to = entry.reply_to;
    if (entry.mentions) op.mentions = entry.mentions;
    if (this.conn.send(op)) entry.state = "sent";
  }

  /** After every ready: everything not acknowledged goes again, with the same client_id. */
  flushOutbox() {
    for (const entry of this.outbox) {
      if (entry.state === "failed") continue;
      if (!this.rooms.has(entry.room)) {
        entry.state = "failed";
        entry.error = { code: "room_not_found", message: "" };
        continue;
      }
      entry.matchedSeq = undefined;
      this.trySend(entry);
    }
    this.saveOutbox();
    for (const room of new Set(this.outbox.map((e) => e.room))) this.emit("outbox", room);
  }

  retry(clientId) {
    const entry = this.outbox.find((e) => e.client_id === clientId);
    if (!entry) return;
    entry.state = "queued";
    entry.error = null;
    this.trySend(entry);
    this.saveOutbox();
    this.emit("outbox", entry.room);
  }

  discard(clientId) {
    const entry = this.outbox.find((e) => e.client_id === clientId);
    this.outbox = this.outbox.filter((e) => e.client_id !== clientId);
    this.saveOutbox();
    if (entry) this.emit("outbox", entry.room);
  }

  matchOutbox(rs, msg) {
    // The message may arrive before its ack: hide the pending copy that it surely is.
    const entry = this.outbox.find(
      (e) => e.room === rs.id && e.state === "sent" && e.matchedSeq === undefined && e.body.trim() === msg.body,
    );
    if (entry) {
      entry.matchedSeq = msg.seq;
      this.emit("outbox", rs.id);
    }
  }

  onAck(e) {
    this.acked.set(e.ref, e.seq);
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((x) => x.client_id !== e.ref);
    if (this.outbox.length !== before) {
      this.saveOutbox();
      this.emit("outbox", e.room);
    }
  }

  onError(e) {
    if (e.ref) {
      const entry = this.outbox.find((x) => x.client_id === e.ref);
      if (entry) {
        entry.state = "failed";
        entry.error = { code: e.code, message: e.message, details: e.details };
        this.saveOutbox();
        this.emit("outbox", entry.room);
      }
    }
    this.emit("op_error", e);
  }

  pendingFor(roomId) {
    return this.outbox.filter((e) => e.room === roomId && e.matchedSeq === undefined);
  }

  saveOutbox() {
    if (this.user) storage.set(this.key("outbox"), this.outbox.map(({ matchedSeq, ...e }) => e));
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
    this.requests.delete(room.id);
    this.saveRequests();
    this.emit("rooms");
    return rs;
  }

  // ---- join requests -------------------------------------------------------------

  addRequest(room, request) {
    this.requests.set(room.id, { room, request });
    this.saveRequests();
    this.emit("rooms");
  }

  dropRequest(roomId) {
    this.requests.delete(roomId);
    this.saveRequests();
    this.emit("rooms");
  }

  saveRequests() {
    if (this.user) storage.set(this.key("requests"), Object.fromEntries(this.requests));
  }
}

// One room as the client holds it: the Room and my Member, read position and unread
// count, a contiguous range of messages by seq (from `lo` up), translations, reactions,
// members, presence and typing.

const PAGE = 50;

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

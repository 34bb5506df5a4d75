// My sends the server has not acknowledged yet, kept in localStorage so that neither a
// reload nor a lost connection loses one. After every `ready` each goes again with the
// same client_id: the server recognises a retry and answers it with the stored message.

import { storage, uuid } from "../util.js";

export class Outbox {
  /** conn: where ops go out; changed(roomId) tells the views that room's entries changed. */
  constructor(conn, changed) {
    this.conn = conn;
    this.changed = changed;
    this.entries = [];
    this.key = null;
  }

  /** The entries kept under this storage key (an account's); none for null. */
  load(key) {
    this.key = key;
    this.entries = (key && storage.get(key, [])) || [];
    for (const e of this.entries) if (e.state === "sent") e.state = "queued";
  }

  get length() {
    return this.entries.length;
  }

  send(roomId, body, { reply_to, mentions, media } = {}) {
    const entry = { client_id: uuid(), room: roomId, body, state: "queued", at: new Date().toISOString() };
    if (reply_to) entry.reply_to = reply_to;
    if (mentions && mentions.length) entry.mentions = mentions;
    if (media && media.length) entry.media = media;
    this.entries.push(entry);
    this.trySend(entry);
    this.save();
    this.changed(roomId);
    return entry;
  }

  trySend(entry) {
    const op = { op: "send", room: entry.room, client_id: entry.client_id, body: entry.body };
    if (entry.reply_to) op.reply_to = entry.reply_to;
    if (entry.mentions) op.mentions = entry.mentions;
    if (entry.media) op.media = entry.media;
    if (this.conn.send(op)) entry.state = "sent";
  }

  /** After every ready: everything not acknowledged goes again, to rooms I am still in. */
  flush(inRoom) {
    for (const entry of this.entries) {
      if (entry.state === "failed") continue;
      if (!inRoom(entry.room)) {
        entry.state = "failed";
        entry.error = { code: "room_not_found", message: "" };
        continue;
      }
      entry.matchedSeq = undefined;
      this.trySend(entry);
    }
    this.save();
    for (const room of new Set(this.entries.map((e) => e.room))) this.changed(room);
  }

  find(clientId) {
    return this.entries.find((e) => e.client_id === clientId);
  }

  retry(clientId) {
    const entry = this.find(clientId);
    if (!entry) return;
    entry.state = "queued";
    entry.error = null;
    this.trySend(entry);
    this.save();
    this.changed(entry.room);
  }

  discard(clientId) {
    const entry = this.find(clientId);
    this.entries = this.entries.filter((e) => e.client_id !== clientId);
    this.save();
    if (entry) this.changed(entry.room);
  }

  /** One of my messages arrived, maybe before its ack: hide the pending copy it surely is. */
  match(rs, msg) {
    const entry = this.entries.find(
      (e) => e.room === rs.id && e.state === "sent" && e.matchedSeq === undefined && e.body.trim() === msg.body
        && (e.media || []).join() === (msg.media || []).map((m) => m.id).join(),
    );
    if (entry) {
      entry.matchedSeq = msg.seq;
      this.changed(rs.id);
    }
  }

  acked(e) {
    const before = this.entries.length;
    this.entries = this.entries.filter((x) => x.client_id !== e.ref);
    if (this.entries.length !== before) {
      this.save();
      this.changed(e.room);
    }
  }

  /** The server refused the send `e.ref`: it stays, failed, with the error to show. */
  failed(e) {
    const entry = this.find(e.ref);
    if (!entry) return;
    entry.state = "failed";
    entry.error = { code: e.code, message: e.message, details: e.details };
    this.save();
    this.changed(entry.room);
  }

  /** A room I left: its sends can never go. */
  dropRoom(roomId) {
    this.entries = this.entries.filter((x) => x.room !== roomId);
    this.save();
  }

  pendingFor(roomId) {
    return this.entries.filter((e) => e.room === roomId && e.matchedSeq === undefined);
  }

  save() {
    if (this.key) storage.set(this.key, this.entries.map(({ matchedSeq, previews, ...e }) => e));
  }
}

// Files on their way into a message: each uploads with its progress (cancel, retry), then
// waits while the server processes it (`pending` → the `media.ready` or `media.failed`
// event; polled too, in case an event was missed). A message with attachments is held
// here, shown as pending, and handed to the outbox once every attachment is ready.
// Nothing here survives a reload: the bytes are in memory only.

import { kindOf, upload } from "../media/upload.js";
import { uuid } from "../util.js";

const POLL_MS = [2000, 3000, 5000, 8000];

export class Uploads {
  /** changed(roomId): the room's drafts or held sends changed. */
  constructor({ api, getToken, outbox, changed }) {
    this.api = api;
    this.getToken = getToken;
    this.outbox = outbox;
    this.changed = changed;
    this.items = new Map(); // key → item
    this.sends = []; // messages waiting for their attachments
  }

  /** Start uploading `file` to `room`; the item is part of the room's draft until sent. */
  add(room, file, { voice = false, durationMs } = {}) {
    const kind = kindOf(file, voice);
    const item = {
      key: uuid(),
      room,
      file,
      kind,
      name: file.name || (voice ? "voice.webm" : "file"),
      size: file.size,
      durationMs,
      localUrl: kind === "file" ? null : URL.createObjectURL(file),
      sent: 0,
      state: "uploading",
      media: null,
      error: null,
      inSend: false,
    };
    this.items.set(item.key, item);
    this.start(item);
    return item;
  }

  start(item) {
    item.state = "uploading";
    item.error = null;
    item.sent = 0;
    const job = upload({
      token: this.getToken(),
      room: item.room,
      file: item.file,
      kind: item.kind,
      name: item.name,
      onProgress: (sent) => {
        item.sent = sent;
        this.changed(item.room, item);
      },
    });
    item.abort = job.abort;
    job.done.then(
      (media) => this.gotView(item, media),
      (err) => {
        if (err.code === "upload_cancelled") return;
        if (err.code === "media_kind_unsupported" && item.kind !== "file") {
          item.kind = "file"; // a server that does not process this kind takes it as a file
          this.start(item);
          return;
        }
        this.fail(item, err);
      },
    );
    this.changed(item.room);
  }

  gotView(item, media) {
    if (!this.items.has(item.key)) return;
    item.media = media;
    item.abort = null;
    if (media.state === "ready") item.state = "ready";
    else if (media.state === "failed") return this.fail(item, media.error || { code: "media_processing_failed" });
    else {
      item.state = "processing";
      this.poll(item, 0);
    }
    this.changed(item.room);
    this.check();
  }

  fail(item, error) {
    item.state = "failed";
    item.error = { code: error.code, message: error.message, details: error.details };
    this.changed(item.room);
    this.check();
  }

  poll(item, n) {
    clearTimeout(item.timer);
    item.timer = setTimeout(async () => {
      if (!this.items.has(item.key) || item.state !== "processing") return;
      try {
        const media = await this.api.get(`/api/media/${encodeURIComponent(item.media.id)}`);
        if (media.state !== "pending") return this.gotView(item, media);
      } catch (err) {
        if (err.status === 404) return this.fail(item, err);
      }
      this.poll(item, n + 1);
    }, POLL_MS[Math.min(n, POLL_MS.length - 1)]);
  }

  /** The `media.ready` / `media.failed` events (to the uploader's sockets). */
  onEvent(event) {
    const view = event.media || event;
    const item = [...this.items.values()].find((i) => i.media && i.media.id === view.id);
    if (!item) return;
    if (event.type === "media.failed" || view.state === "failed") {
      const e = event.error || { code: event.code || "media_processing_failed", message: event.message, details: event.details };
      this.fail(item, e);
    } else {
      this.gotView(item, view);
    }
  }

  cancel(key) {
    const item = this.items.get(key);
    if (!item) return;
    item.abort?.();
    this.forget(item);
    this.changed(item.room);
  }

  retry(key) {
    const item = this.items.get(key);
    if (item && item.state === "failed") this.start(item);
  }

  forget(item) {
    clearTimeout(item.timer);
    this.items.delete(item.key);
    if (item.localUrl) setTimeout(() => URL.revokeObjectURL(item.localUrl), 60_000);
  }

  /** The room's attachments not yet part of a message. */
  draft(room) {
    return [...this.items.values()].filter((i) => i.room === room && !i.inSend);
  }

  /** Send `body` with the room's draft: held until every attachment is ready. */
  send(room, body, opts = {}, items = this.draft(room)) {
    if (!items.length) return null;
    for (const i of items) i.inSend = true;
    const entry = { id: uuid(), room, body, opts, keys: items.map((i) => i.key), at: new Date().toISOString() };
    this.sends.push(entry);
    this.changed(room);
    this.check();
    return entry;
  }

  itemsOf(entry) {
    return entry.keys.map((k) => this.items.get(k)).filter(Boolean);
  }

  sendsFor(room) {
    return this.sends.filter((s) => s.room === room);
  }

  /** Hand each held message whose attachments are all ready to the outbox. */
  check() {
    for (const entry of [...this.sends]) {
      const items = this.itemsOf(entry);
      if (!items.length || !items.every((i) => i.state === "ready")) continue;
      this.sends = this.sends.filter((s) => s !== entry);
      const media = items.map((i) => i.media.id);
      const outgoing = this.outbox.send(entry.room, entry.body, { ...entry.opts, media });
      outgoing.previews = items.map((i) => ({ kind: i.kind, name: i.name, url: i.localUrl }));
      for (const i of items) this.forget(i);
      this.changed(entry.room);
    }
  }

  retrySend(id) {
    const entry = this.sends.find((s) => s.id === id);
    if (entry) for (const i of this.itemsOf(entry)) if (i.state === "failed") this.start(i);
  }

  discardSend(id) {
    const entry = this.sends.find((s) => s.id === id);
    if (!entry) return;
    this.sends = this.sends.filter((s) => s !== entry);
    for (const i of this.itemsOf(entry)) {
      i.abort?.();
      this.forget(i);
    }
    this.changed(entry.room);
  }
}

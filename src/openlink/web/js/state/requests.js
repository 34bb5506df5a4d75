// My join requests still waiting for a host (or turned down and not yet dismissed), by
// room, kept in localStorage: the server sends only the decision, live.

import { storage } from "../util.js";

export class JoinRequests {
  /** changed() tells the views the list changed (the sidebar shows them). */
  constructor(changed) {
    this.changed = changed;
    this.byRoom = new Map(); // room id → {room, request}
    this.key = null;
  }

  load(key) {
    this.key = key;
    this.byRoom = new Map(Object.entries((key && storage.get(key, {})) || {}));
  }

  get(roomId) {
    return this.byRoom.get(roomId);
  }

  [Symbol.iterator]() {
    return this.byRoom[Symbol.iterator]();
  }

  add(room, request) {
    this.byRoom.set(room.id, { room, request });
    this.save();
    this.changed();
  }

  drop(roomId) {
    this.forget(roomId);
    this.changed();
  }

  /** In the room now: the request is done with (the caller announces the change). */
  forget(roomId) {
    this.byRoom.delete(roomId);
    this.save();
  }

  /** A host decided. An approval is an invitation: the request stays listed until the
   * applicant enters; a rejection stays to be seen and dismissed. */
  decided(roomId, request) {
    const entry = this.byRoom.get(roomId);
    if (entry) entry.request = request;
    this.save();
  }

  /** After a ready: requests of rooms I am in now (entered from another tab) are done. */
  dropJoined(roomIds) {
    for (const [id, r] of this.byRoom) if (roomIds.has(id) && r.request.status !== "rejected") this.byRoom.delete(id);
    this.save();
  }

  save() {
    if (this.key) storage.set(this.key, Object.fromEntries(this.byRoom));
  }
}

// The panel's state (room, my membership, what I may do, nicknames seen) shared by every
// section, and the little event bus the sections use for live updates.

import { t } from "../i18n.js";
import { flash } from "./dom.js";
import { formatDuration, formatTime } from "./format.js";

export const RIGHTS = ["notice", "hide", "kick", "timeout", "approve", "settings", "links", "automod"];
const MEMBER_PAGE = 500;
const MEMBER_PAGES_MAX = 10; // 5 000 members: enough to find co-hosts and pick someone

/** A path under the room: roomPath("abc", "members", id, "kick"). Segments are encoded. */
function roomPath(roomId, ...segments) {
  return ["/api/rooms", ...[roomId, ...segments].map((s) => encodeURIComponent(String(s)))].join("/");
}

export class Panel {
  /** ctx: the host tools' context (index.js describes it). */
  constructor(ctx) {
    this.ctx = ctx;
    this.api = ctx.api;
    this.room = ctx.room || null;
    this.me = ctx.me || (ctx.room && ctx.room.me) || null;
    this.nicknames = new Map();
    this.members = null; // Member[] once loaded
    this.listeners = new Map();
    if (this.me) this.nicknames.set(this.me.id, this.me.nickname);
  }

  get roomId() {
    return this.room && this.room.id;
  }

  path(...segments) {
    return roomPath(this.roomId, ...segments);
  }

  get role() {
    return (this.me && this.me.role) || "member";
  }

  isHost() {
    return this.role === "host";
  }

  /** Host or co-host (any rights): reports and the audit log. */
  isModerator() {
    return this.role === "host" || this.role === "cohost";
  }

  can(right) {
    if (this.role === "host") return true;
    return this.role === "cohost" && Array.isArray(this.me.rights) && this.me.rights.includes(right);
  }

  /** Whether I may kick, ban or time out this member (the server has the last word). */
  canTarget(member) {
    if (!member || !this.me || member.id === this.me.id) return false;
    if (member.role === "host") return false;
    return member.role !== "cohost" || this.isHost();
  }

  get closed() {
    return Boolean(this.room && this.room.status === "closed");
  }

  // -- the room and my membership ------------------------------------------------------

  /** Fetch the room again (it carries `me` for members): rights may have changed. */
  async refreshRoom() {
    const data = await this.api.get(roomPath(this.roomId));
    this.setRoom(data);
    return this.room;
  }

  /**
   * After a write that changed the room: take the Room the server answered (or fetch it),
   * and let the chat view re-read it too (its header shows the pin, the link, ...).
   */
  async roomWritten(data) {
    if (data && data.id) this.setRoom(data);
    else await this.refreshRoom();
    if (typeof this.ctx.refreshRoom === "function") {
      Promise.resolve(this.ctx.refreshRoom()).catch(() => null);
    }
    return this.room;
  }

  /** Save changes to the room from a form (PATCH), saying in status what came of it.
   * Resolves true when something was saved. */
  async patchRoom(body, status) {
    if (Object.keys(body).length === 0) {
      flash(status, t("host.common.nothing_changed"));
      return false;
    }
    await this.roomWritten(await this.api.patch(this.path(), body));
    flash(status, t("host.common.saved"));
    return true;
  }

  setRoom(data) {
    const { me, read_seq: _r, unread: _u, ...room } = data;
    const roleBefore = this.role;
    const rightsBefore = JSON.stringify(this.me && this.me.rights);
    this.room = { ...(this.room || {}), ...room };
    if (me) this.me = me;
    this.emit("room", this.room);
    if (me && (me.role !== roleBefore || JSON.stringify(me.rights) !== rightsBefore)) {
      this.emit("me", me);
    }
  }

  // -- members -------------------------------------------------------------------------

  remember(member) {
    if (member && member.id) this.nicknames.set(member.id, member.nickname);
  }

  /** "nickname" for a member id we have seen, else the id itself. */
  who(memberId) {
    if (!memberId) return "";
    return this.nicknames.get(memberId) || memberId;
  }

  /** Active members, up to MEMBER_PAGES_MAX pages; cached until reload is asked for. */
  async loadMembers({ reload = false } = {}) {
    if (this.members && !reload) return this.members;
    const found = [];
    let after = null;
    for (let page = 0; page < MEMBER_PAGES_MAX; page += 1) {
      const data = await this.api.get(this.path("members"), { after, limit: MEMBER_PAGE });
      found.push(...data.members);
      after = data.next;
      if (!after) break;
    }
    found.forEach((m) => this.remember(m));
    this.members = found;
    this.emit("members", found);
    return found;
  }

  /** Merge a changed Member (after a time-out, an appointment) into the cache. */
  updateMember(member) {
    this.remember(member);
    if (this.members) {
      const i = this.members.findIndex((m) => m.id === member.id);
      if (i >= 0) this.members[i] = member;
      else this.members.push(member);
    }
    this.emit("members", this.members);
  }

  dropMember(memberId) {
    if (this.members) this.members = this.members.filter((m) => m.id !== memberId);
    this.emit("members", this.members);
  }

  // -- formatting ----------------------------------------------------------------------

  time(iso) {
    return formatTime(iso);
  }

  duration(seconds) {
    return formatDuration(seconds);
  }

  // -- events --------------------------------------------------------------------------

  on(name, fn) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(fn);
    return () => this.listeners.get(name).delete(fn);
  }

  emit(name, data) {
    for (const fn of this.listeners.get(name) || []) {
      try {
        fn(data);
      } catch (err) {
        console.error("host tools:", err);
      }
    }
  }
}

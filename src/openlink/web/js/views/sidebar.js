// The left column: my rooms (unread badges, last message), pending join requests, the
// connection state and the way to Discover, a new room and Settings.

import { h, icon, replaceChildren } from "../dom.js";
import { formatShort, t } from "../i18n.js";
import { avatar, toast } from "../ui.js";
import { perFrame } from "../util.js";
import { memberName, systemText } from "./message.js";

function preview(rs) {
  const m = rs.lastMessage;
  if (!m) return t("rooms.no_messages");
  if (m.deleted) return t("chat.deleted");
  if (m.hidden) return t("chat.hidden");
  if (m.kind === "system") return systemText(rs, m);
  const tr = rs.translationFor(m);
  const media = m.media || [];
  const kind = media.length && media.every((x) => x.kind === media[0].kind) ? media[0].kind : "file";
  const body = tr ? tr.body : m.body || (media.length ? t(`media.last_${kind}`, { n: media.length }) : "");
  if (rs.me && m.member === rs.me.id) return t("rooms.you", { text: body });
  const name = m.kind === "bot" ? t("chat.bot") : rs.members.has(m.member) ? memberName(rs, m.member) : null;
  return name ? `${name}: ${body}` : body;
}

export function createConnectionPill(conn) {
  const text = h("span", { class: "conn-text" });
  const retry = h("button", { type: "button", class: "link-btn", hidden: true, onclick: () => conn.connectNow() }, t("conn.retry_now"));
  const el = h("div", { class: "conn", role: "status", "aria-live": "polite", "data-testid": "conn-state" }, h("span", { class: "conn-dot", "aria-hidden": "true" }), text, retry);
  let timer = null;
  const render = () => {
    const s = conn.state;
    el.dataset.state = s;
    retry.hidden = true;
    if (s === "online") text.textContent = t("conn.online");
    else if (s === "connecting" || s === "idle") text.textContent = t("conn.connecting");
    else if (s === "failed") text.textContent = t("conn.failed");
    else if (!navigator.onLine || conn.retryAt === null) text.textContent = conn.ws ? t("conn.reconnecting_now") : t("conn.offline");
    else {
      const secs = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
      text.textContent = secs > 0 ? t("conn.reconnecting_in", { n: secs }) : t("conn.reconnecting_now");
      retry.hidden = secs <= 0;
    }
  };
  const unsub = conn.on("state", () => {
    render();
    clearInterval(timer);
    if (conn.state === "reconnecting" && conn.retryAt) timer = setInterval(render, 1000);
  });
  render();
  return { el, destroy: () => { unsub(); clearInterval(timer); } };
}

export function createSidebar(app) {
  const list = h("ul", { class: "room-list", "aria-label": t("rooms.title") });
  const filter = h("input", { type: "search", class: "room-filter", placeholder: t("rooms.filter"), "aria-label": t("rooms.filter") });
  const pill = createConnectionPill(app.conn);
  const el = h("aside", { class: "sidebar", "aria-label": t("rooms.title") },
    h("header", { class: "side-head" },
      h("a", { class: "brand", href: "#/", "aria-label": "OpenLink" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◎"), "OpenLink"),
      h("nav", { class: "side-nav", "aria-label": t("nav.main") },
        h("a", { class: "icon-btn", href: "#/discover", "aria-label": t("nav.discover"), title: t("nav.discover") }, icon("compass")),
        h("a", { class: "icon-btn", href: "#/clips", "aria-label": t("nav.clips"), title: t("nav.clips"), "data-testid": "nav-clips" }, icon("film")),
        h("a", { class: "icon-btn", href: "#/new", "aria-label": t("nav.new_room"), title: t("nav.new_room") }, icon("plus")),
        h("a", { class: "icon-btn", href: "#/settings", "aria-label": t("nav.settings"), title: t("nav.settings") }, icon("settings")),
      ),
    ),
    pill.el,
    h("div", { class: "side-filter" }, filter),
    h("nav", { class: "side-rooms", "aria-label": t("rooms.title") }, list),
  );

  let current = null;
  const render = perFrame(() => {
    const q = filter.value.trim().toLocaleLowerCase();
    const items = [];
    for (const [id, { room, request }] of app.state.requests) {
      if (q && !room.name.toLocaleLowerCase().includes(q)) continue;
      items.push(h("li", { class: "room-item-wrap" },
        h("a", { class: "room-item pending-request", href: room.link ? `#/join/${room.link.slice(3)}` : `#/preview/${id}` },
          avatar(room.name, room.cover_url, id),
          h("div", { class: "room-item-text" },
            h("div", { class: "room-item-top" }, h("span", { class: "room-name" }, room.name)),
            h("div", { class: "room-last" }, { rejected: t("join.request_rejected"), approved: t("join.request_approved_short") }[request.status] || t("join.request_pending")),
          ),
        ),
      ));
    }
    for (const rs of app.state.roomList()) {
      const room = rs.room;
      if (q && !room.name.toLocaleLowerCase().includes(q)) continue;
      const unread = rs.unread;
      const label = unread ? `${room.name}, ${t("rooms.unread", { n: unread })}` : room.name;
      items.push(h("li", { class: "room-item-wrap" },
        h("a", {
          class: `room-item ${unread ? "has-unread" : ""}`,
          href: `#/room/${rs.id}`,
          "aria-current": rs.id === current ? "page" : null,
          "aria-label": label,
          "data-room": rs.id,
        },
          avatar(room.name, room.cover_url, rs.id),
          h("div", { class: "room-item-text" },
            h("div", { class: "room-item-top" },
              h("span", { class: "room-name" }, room.name),
              room.member_count ? h("span", { class: "room-count" }, String(room.member_count)) : null,
              h("time", { class: "room-time" }, formatShort(rs.lastMessage ? rs.lastMessage.created_at : room.created_at)),
            ),
            h("div", { class: "room-item-bottom" },
              h("span", { class: "room-last", dir: "auto" }, preview(rs)),
              unread ? h("span", { class: "badge", "aria-hidden": "true", "data-testid": "unread" }, unread > 999 ? "999+" : String(unread)) : null,
            ),
          ),
        ),
      ));
    }
    if (!items.length) {
      items.push(h("li", { class: "room-empty" },
        h("p", null, q ? t("rooms.no_match") : t("rooms.empty")),
        q ? null : h("a", { class: "btn btn-primary", href: "#/discover" }, t("nav.discover")),
      ));
    }
    replaceChildren(list, ...items);
    const total = app.state.totalUnread();
    document.title = total ? `(${total}) OpenLink` : "OpenLink";
  });

  filter.addEventListener("input", render);
  const subs = [
    app.state.on("rooms", render),
    app.state.on("members", render),
    app.state.on("translation", render),
    app.state.on("left", ({ name, reason }) => {
      if (reason) toast(t(`rooms.removed_${reason}`, { name }), "error");
    }),
    app.state.on("request_decided", (e) => {
      const entry = e.request.status === "rejected" ? t("join.rejected_toast") : null;
      if (entry) toast(entry, "error");
    }),
  ];
  render();
  return {
    el,
    setCurrent(id) {
      current = id;
      render();
    },
    destroy() {
      subs.forEach((u) => u());
      pill.destroy();
    },
  };
}


// The host tools panel's frame. The tools themselves live in js/host/ (another module,
// written separately); this file owns the drawer they render into and the ctx they get.
//
// openHostTools(ctx) — the contract, as this app calls it:
//
//   ctx.api        the HTTP client: get(path, params?), post(path, body?), put(path, body?),
//                  patch(path, body?), del(path), request(method, path, {body, params}).
//                  Paths are absolute ("/api/rooms/{id}/bans"). Resolves to the parsed
//                  JSON body (null for 204); rejects with ApiError {status, code, message,
//                  details} (see js/api.js), the server's stable error codes.
//   ctx.ws         the account's one live connection (js/ws.js): on(type, fn) → unsubscribe
//                  for any server event type ("join_request", "report", "message",
//                  "presence", ...) or "state"; send(op) → false when offline; state.
//                  Unsubscribe what you subscribed in your cleanup (see close below).
//   ctx.room       the Room object as last fetched (a copy; fields as in docs/protocol.md).
//   ctx.me         my Member in this room (role "host" or "cohost", `rights` for co-hosts).
//   ctx.t          t(key, params?) → the UI string in the current language. Keys from
//                  locales/host/{lang}.json are merged in (nested objects become dotted keys),
//                  "{name}" placeholders are filled from params, and with a numeric
//                  params.n "key.one"/"key.other" are tried first. English is the fallback.
//   ctx.lang       the UI language ("en", "ko" or "ja").
//   ctx.container  an empty element inside the drawer to render into (the drawer has its
//                  own title bar and close button).
//   ctx.close()    close the drawer (focus goes back to the "host tools" button).
//   ctx.refreshRoom()  re-read the room after a settings change; returns the new Room and
//                  updates the chat header.
//   ctx.members()  the members this client knows, as Member objects (id → nickname).
//   ctx.h          the DOM helper from js/dom.js (text is always text, never markup).
//
// openHostTools may return a cleanup function (or a promise of one); it runs when the
// drawer closes.
//
// messageActions(ctx, message) → [{id, label, run, danger}] (optional export): the
// moderator's items for one message's menu (hide, time out, kick, ban). This app calls it
// with the same ctx minus container and close, for hosts and co-hosts only.

import { h, icon } from "../dom.js";
import * as host from "../host/index.js";
import { t, uiLanguage } from "../i18n.js";
import { errorText } from "../ui.js";

function baseCtx(app, rs) {
  const ctx = {
    api: app.api,
    ws: app.conn,
    room: { ...rs.room },
    me: { ...rs.me },
    t,
    lang: uiLanguage(),
    h,
    members: () => [...rs.members.values()],
    refreshRoom: async () => {
      await app.state.refreshRoom(rs.id);
      ctx.room = { ...rs.room };
      return ctx.room;
    },
  };
  return ctx;
}

/** The host tools' menu items for one message, or [] (members, or no such export). */
export function hostMessageActions(app, rs, msg) {
  if (!rs.me || (rs.me.role !== "host" && rs.me.role !== "cohost")) return [];
  if (typeof host.messageActions !== "function") return [];
  try {
    const actions = host.messageActions(baseCtx(app, rs), msg);
    return Array.isArray(actions) ? actions : [];
  } catch (err) {
    console.error("host message actions failed", err);
    return [];
  }
}

export function openHostPanel(app, rs, onClosed) {
  const opener = document.activeElement;
  const container = h("div", { class: "host-container" });
  const titleId = `host-title-${rs.id}`;
  const panel = h("dialog", { class: "drawer host-drawer", "aria-labelledby": titleId });
  let cleanup = null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      if (typeof cleanup === "function") cleanup();
    } catch (err) {
      console.error("host tools cleanup failed", err);
    }
    if (panel.open) panel.close();
    panel.remove();
    onClosed?.();
    if (opener && opener.isConnected) opener.focus();
  };
  panel.addEventListener("cancel", (e) => {
    e.preventDefault();
    close();
  });
  panel.append(
    h("div", { class: "drawer-head" },
      h("h2", { id: titleId }, icon("shield"), t("chat.host_tools")),
      h("button", { type: "button", class: "icon-btn", "aria-label": t("common.close"), onclick: close }, icon("close")),
    ),
    container,
  );
  document.body.append(panel);
  panel.showModal();

  const ctx = { ...baseCtx(app, rs), container, close };
  try {
    Promise.resolve(host.openHostTools(ctx)).then((fn) => {
      cleanup = fn;
      if (closed && typeof fn === "function") fn();
    }, (err) => {
      console.error("host tools failed", err);
      container.append(h("p", { class: "form-error", role: "alert" }, errorText(err)));
    });
  } catch (err) {
    console.error("host tools failed", err);
    container.append(h("p", { class: "form-error", role: "alert" }, errorText(err)));
  }
  return { close };
}

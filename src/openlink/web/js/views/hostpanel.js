// The drawer the host tools (js/host/) render into, and the context they get: its fields
// are described once, at the top of js/host/index.js.

import { h, icon } from "../dom.js";
import { messageActions, openHostTools } from "../host/index.js";
import { t } from "../i18n.js";
import { errorText } from "../ui.js";

function baseCtx(app, rs) {
  const ctx = {
    api: app.api,
    ws: app.conn,
    room: { ...rs.room },
    me: { ...rs.me },
    members: () => [...rs.members.values()],
    refreshRoom: async () => {
      await app.state.refreshRoom(rs.id);
      ctx.room = { ...rs.room };
      return ctx.room;
    },
  };
  return ctx;
}

/** The host tools' menu items for one message, or [] for members. */
export function hostMessageActions(app, rs, msg) {
  if (!rs.me || (rs.me.role !== "host" && rs.me.role !== "cohost")) return [];
  return messageActions(baseCtx(app, rs), msg);
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
    cleanup?.();
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

  openHostTools({ ...baseCtx(app, rs), container, close }).then((fn) => {
    cleanup = fn;
    if (closed) fn();
  }, (err) => {
    console.error("host tools failed", err);
    container.append(h("p", { class: "form-error", role: "alert" }, errorText(err)));
  });
  return { close };
}

// Host tools: what a host or co-host runs a room with, inside the app's drawer
// (views/hostpanel.js). Strings come from the app's i18n ("host." keys), requests go
// through the app's client, live events through the app's connection.
//
// The context, built by views/hostpanel.js and passed to both exports:
//
//   ctx.api          the app's HTTP client (js/api.js): get(path, params?), post, put,
//                    patch (path, body?), del(path). Resolves to parsed JSON (null for
//                    204); rejects with ApiError {status, code, message, details}.
//   ctx.ws           the app's connection (js/ws.js): on(type, fn) -> unsubscribe. The
//                    panel listens for join_request, report, message and left while open.
//   ctx.room         the Room as the app last fetched it (a copy; docs/protocol.md).
//   ctx.me           my Member in it (role "host" or "cohost", `rights` for co-hosts).
//   ctx.members()    the Members the chat knows (for nicknames in the message menu).
//   ctx.refreshRoom()  re-read the room into the app's state (the chat header and the
//                    composer follow); resolves to the new Room.
//   ctx.container    openHostTools only: the element to render into (inside the drawer,
//                    which has the title bar and the close button).
//   ctx.close()      openHostTools only: close the drawer.
//
// openHostTools(ctx) -> Promise<cleanup>
//   Renders one tab per section my role and rights allow: room info, join requests,
//   notice, hidden messages, members and bans, co-hosts (host only), settings, glossary,
//   link and QR, automod, host bot, reports and the audit log (any co-host). It opens on
//   the section used last, else where something waits (join requests, then open reports),
//   else room info. cleanup() stops listening.
//
// messageActions(ctx, message) -> [{id, label, run, danger}]
//   What I may do to one message from its menu: hide ("hide") / show again ("unhide"),
//   time out ("timeout"), kick ("kick") or ban ("ban") its sender. run() returns
//   Promise<boolean>: true when done, false when cancelled or refused (a refusal is shown
//   in a dialog; run never throws). [] for people without the rights, system messages and
//   tombstones.

import { t } from "../i18n.js";
import { alertDialog, kickDialog, timeoutDialog } from "./dialogs.js";
import { h, uid } from "./dom.js";
import { Panel } from "./panel.js";
import audit from "./sections/audit.js";
import automod from "./sections/automod.js";
import bot from "./sections/bot.js";
import cohosts from "./sections/cohosts.js";
import glossary from "./sections/glossary.js";
import info from "./sections/info.js";
import link from "./sections/link.js";
import members from "./sections/members.js";
import messages from "./sections/messages.js";
import notice from "./sections/notice.js";
import reports from "./sections/reports.js";
import requests from "./sections/requests.js";
import settings from "./sections/settings.js";

const SECTIONS = [info, requests, notice, messages, members, cohosts, settings, glossary, link, automod, bot, reports, audit];
// Loaded at once so their counts show on the tabs; the others load when first opened.
const EAGER = new Set(["requests", "reports"]);
// Where the panel opens when nothing was chosen yet: what waits first, then the room.
const WAITING = ["requests", "reports"];
const STYLESHEET = "/app/js/host/host.css";
const HIDEABLE = new Set(["text", "notice", "bot"]);

const openPanels = new Set(); // {panel, root} of panels on screen
let lastTab = null; // reopening the panel shows the section used last

function ensureStylesheet() {
  if (document.head.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href: STYLESHEET }));
}

function livePanels(roomId) {
  const found = [];
  for (const entry of openPanels) {
    if (!entry.root.isConnected) openPanels.delete(entry);
    else if (entry.panel.roomId === roomId) found.push(entry.panel);
  }
  return found;
}

// -- the panel -------------------------------------------------------------------------

export async function openHostTools(ctx) {
  ensureStylesheet();
  const { container } = ctx;
  container.replaceChildren(h("p", { class: "ht-loading", role: "status" }, "…"));
  let entry = null;
  let stopped = false;

  const forget = () => {
    if (entry) openPanels.delete(entry);
  };
  const close = () => {
    forget();
    ctx.close();
  };

  async function mount(current) {
    const panel = new Panel(current);
    let loadError = null;
    try {
      await panel.refreshRoom();
    } catch (err) {
      loadError = err; // draw with what ctx gave us; the error shows on top
    }
    if (stopped) return panel;
    forget();
    const root = render(panel, loadError);
    entry = { panel, root };
    openPanels.add(entry);
    container.replaceChildren(root);
    // A change of role or rights (a handover, the host editing mine) redraws the tabs.
    panel.on("me", () => mount({ ...current, room: panel.room, me: panel.me }));
    return panel;
  }

  // Live events straight from the connection, for as long as the panel is open.
  const unsubscribe = LIVE_EVENTS.map((type) =>
    ctx.ws.on(type, (event) => {
      if (entry) dispatch(entry.panel, close, { type, ...event });
    }),
  );

  await mount(ctx);
  return () => {
    stopped = true;
    forget();
    unsubscribe.splice(0).forEach((off) => off());
  };
}

function render(panel, loadError) {
  const sections = loadError && !panel.room ? [] : SECTIONS.filter((s) => s.visible(panel));
  const tablist = h("div", { role: "tablist", class: "ht-tabs", "aria-label": t("host.sections") });
  const body = h("div", { class: "ht-body" });
  const tabs = new Map(); // id -> {tab, pane, section, el, count}
  let chosen = tabs.has(lastTab); // by the user, now or when the panel was last open

  function select(id, { focus = false, byUser = true } = {}) {
    for (const [key, tab] of tabs) {
      const on = key === id;
      tab.tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tab.tabIndex = on ? 0 : -1;
      tab.pane.hidden = !on;
      if (on) {
        if (!tab.el) draw(tab);
        else if (tab.section.refreshOnShow && tab.el.refresh) tab.el.refresh();
        if (focus) tab.tab.focus();
      }
    }
    if (byUser) {
      lastTab = id;
      chosen = true;
    }
  }

  function draw(tab) {
    tab.el = tab.section.render(panel);
    tab.pane.replaceChildren(h("h3", { class: "ht-pane-title" }, t(`host.${tab.section.id}.tab`)), tab.el);
  }

  for (const section of sections) {
    const tabId = uid(`ht-tab-${section.id}`);
    const paneId = uid(`ht-pane-${section.id}`);
    const count = h("span", { class: "ht-count", hidden: true });
    const tab = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: tabId,
        class: "ht-tab",
        "aria-controls": paneId,
        "aria-selected": "false",
        tabindex: -1,
        "data-section": section.id,
        onclick: () => select(section.id),
      },
      h("span", null, t(`host.${section.id}.tab`)),
      count,
    );
    const pane = h("div", { role: "tabpanel", id: paneId, "aria-labelledby": tabId, class: "ht-pane", hidden: true, tabindex: 0 });
    tabs.set(section.id, { tab, pane, section, el: null, count });
    tablist.append(tab);
    body.append(pane);
  }

  tablist.addEventListener("keydown", (event) => {
    const ids = [...tabs.keys()];
    const at = ids.indexOf(event.target.closest("[role=tab]")?.dataset.section ?? lastTab);
    const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: ids.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(ids[(moves[event.key] + ids.length) % ids.length], { focus: true });
  });

  const waiting = new Map(); // section id -> count, as the eager sections report them
  panel.on("badge", ({ id, count }) => {
    const tab = tabs.get(id);
    if (!tab) return;
    tab.count.textContent = count ? String(count) : "";
    tab.count.hidden = !count;
    waiting.set(id, count);
    // Until the host picks a tab, the panel shows what waits for them, most urgent first.
    const first = WAITING.find((key) => waiting.get(key));
    if (!chosen && first) select(first, { byUser: false });
  });

  const closed = h("p", { class: "ht-banner", hidden: !panel.closed }, t("host.closed_room"));
  panel.on("room", () => {
    closed.hidden = !panel.closed;
  });
  const root = h(
    "section",
    { class: "ht-panel ht-framed", "aria-label": t("host.title") },
    loadError ? h("p", { class: "ht-error", role: "alert" }, loadError.message || String(loadError)) : null,
    closed,
    sections.length ? tablist : h("p", { class: "ht-empty" }, t("host.no_tools")),
    body,
  );

  for (const id of EAGER) if (tabs.has(id)) draw(tabs.get(id));
  if (tabs.size) select(chosen ? lastTab : tabs.keys().next().value, { byUser: chosen });
  return root;
}

// -- the message menu ------------------------------------------------------------------

function memberFrom(ctx, panel, memberId) {
  const found = ctx.members().find((m) => m.id === memberId) || (panel.members || []).find((m) => m.id === memberId);
  return found || { id: memberId, nickname: panel.who(memberId), role: "member" };
}

export function messageActions(ctx, message) {
  if (!message || message.deleted || message.kind === "system" || !ctx || !ctx.room) return [];
  const panel = livePanels(ctx.room.id)[0] || new Panel(ctx);
  const actions = [];
  const refused = (err) => alertDialog(t("host.error.refused"), err.message || String(err)).then(() => false);

  if (panel.can("hide") && HIDEABLE.has(message.kind)) {
    const hide = !message.hidden;
    actions.push({
      id: hide ? "hide" : "unhide",
      label: t(hide ? "host.messages.hide" : "host.messages.unhide"),
      run: async () => {
        try {
          const path = panel.path("messages", message.seq, "hide");
          const changed = hide ? await panel.api.post(path, {}) : await panel.api.del(path);
          for (const open of livePanels(panel.roomId)) open.emit("message", changed);
          return true;
        } catch (err) {
          return refused(err);
        }
      },
    });
  }

  if (message.kind === "bot" || !message.member || !panel.me || message.member === panel.me.id) return actions;
  const sender = memberFrom(ctx, panel, message.member);
  if (!panel.canTarget(sender)) return actions;
  if (panel.can("timeout")) {
    actions.push({ id: "timeout", label: t("host.members.timeout"), run: async () => Boolean(await timeoutDialog(panel, sender)) });
  }
  if (panel.can("kick")) {
    actions.push(
      { id: "kick", label: t("host.members.kick"), danger: true, run: async () => Boolean(await kickDialog(panel, sender)) },
      { id: "ban", label: t("host.members.ban"), danger: true, run: async () => Boolean(await kickDialog(panel, sender, { ban: true })) },
    );
  }
  return actions;
}

// -- live events -----------------------------------------------------------------------

const REFRESH_ROOM = new Set([
  "notice_pinned",
  "notice_unpinned",
  "room_updated",
  "host_changed",
  "cohost_appointed",
  "cohost_rights_changed",
  "cohost_removed",
  "closed",
]);

function applyMessage(panel, event) {
  const message = event.message;
  if (!message) return;
  if (message.hidden || event.change === "hidden" || event.change === "unhidden") panel.emit("message", message);
  const system = message.kind === "system" && message.system;
  if (!system) return;
  if (REFRESH_ROOM.has(system.event)) panel.refreshRoom().catch(() => null);
  if (!panel.members) return;
  if (system.event === "joined" && system.profile) panel.updateMember(system.profile);
  else if (["left", "kicked", "banned"].includes(system.event)) panel.dropMember(system.member || message.member);
  else if (system.event === "timed_out" || system.event === "timeout_lifted") {
    const target = panel.members.find((m) => m.id === (system.member || message.member));
    if (target) {
      const { timed_out_until: _old, ...rest } = target;
      panel.updateMember(system.event === "timed_out" ? { ...rest, timed_out_until: system.until } : rest);
    }
  }
}

const LIVE_EVENTS = ["join_request", "report", "clip.reported", "message", "left"];

/** The room an event is about: `room` (an id, or a Room on `joined`), else its message's. */
function roomOf(event) {
  if (event.room && typeof event.room === "object") return event.room.id;
  return event.room || (event.message && event.message.room) || null;
}

function dispatch(panel, close, event) {
  if (roomOf(event) !== panel.roomId) return;
  if (event.type === "join_request") panel.emit("join_request", event.request);
  else if (event.type === "report") panel.emit("report", event.report);
  else if (event.type === "clip.reported") panel.emit("clip_report", event.report);
  else if (event.type === "message") applyMessage(panel, event);
  else if (event.type === "left") {
    // Removed from the room (kicked, banned, or left elsewhere): nothing here works now.
    close();
  }
}

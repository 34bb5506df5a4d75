// Host tools: the panel a host or co-host opens from a room.
//
// The chat view uses three exports, all taking the same ctx:
//
//   ctx = {api, ws, room, me, t, lang, container, close, refreshRoom, members}
//     api          the app's client (js/api.js): async get/post/patch/put/del(path[, body])
//                  -> JSON (null for 204), throwing ApiError {status, code, message,
//                  details}. A fetch-style function, or none plus ctx.token, also works.
//     ws           the live connection: on(type, fn) -> unsubscribe. The panel listens
//                  for join_request, report, message and left itself while it is open.
//     room, me     the Room and my Member in it (role, rights); re-read when the panel opens
//     t, lang      the app's i18n and UI language; the panel reads locales/host/{lang}.json
//                  itself too, so it works before the app has merged them
//     container    where the panel renders; close() closes the drawer around it. With
//                  close() given, the drawer owns the title bar and close button.
//     refreshRoom  optional: called after the panel changed the room (settings, link, pin)
//     members      optional: () -> Member[] (or a Map/array) the chat knows, for nicknames
//
//   openHostTools(ctx) -> Promise<cleanup>
//     Renders one tab per section my role and rights allow: join requests, notice,
//     hidden messages, members and bans, co-hosts (host only), settings, glossary,
//     link and QR, automod, host bot, reports and the audit log (any co-host). Loads
//     /app/js/host/host.css once. cleanup() stops listening; cleanup.refresh() redraws.
//
//   messageActions(ctx, message) -> [{id, label, run, danger}]
//     What I may do to one message from its menu: hide ("hide") / show again ("unhide"),
//     time out ("timeout"), kick ("kick") or ban ("ban") its sender. run() returns
//     Promise<boolean>: true when done, false when cancelled or refused (a refusal is
//     shown to the user in a dialog; run never throws). [] for people without the rights,
//     system messages and tombstones.
//
//   onEvent(ctx, event) -> boolean
//     For a chat view that forwards WebSocket events instead of giving ctx.ws: the open
//     panel for event.room applies join_request, report, message and left events.
//     Returns true when an open panel used it. Forwarding as well as ctx.ws is harmless.

import { alertDialog, kickDialog, timeoutDialog } from "./dialogs.js";
import { button, h, uid } from "./dom.js";
import { ready } from "./i18n.js";
import { Panel } from "./panel.js";
import audit from "./sections/audit.js";
import automod from "./sections/automod.js";
import bot from "./sections/bot.js";
import cohosts from "./sections/cohosts.js";
import glossary from "./sections/glossary.js";
import link from "./sections/link.js";
import members from "./sections/members.js";
import messages from "./sections/messages.js";
import notice from "./sections/notice.js";
import reports from "./sections/reports.js";
import requests from "./sections/requests.js";
import settings from "./sections/settings.js";

const SECTIONS = [requests, notice, messages, members, cohosts, settings, glossary, link, automod, bot, reports, audit];
// Loaded at once so their counts show on the tabs; the others load when first opened.
const EAGER = new Set(["requests", "reports"]);
const STYLESHEET = "/app/js/host/host.css";
const HIDEABLE = new Set(["text", "notice", "bot"]);

const openPanels = new Set(); // {panel, root} of panels on screen
let lastTab = null; // reopening the panel shows the section used last

ready(null); // start fetching the strings early: messageActions labels need them

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
  const container = ctx.container || document.body.appendChild(h("div", { class: "ht-floating" }));
  container.replaceChildren(h("p", { class: "ht-loading", role: "status" }, "…"));
  await ready(ctx);
  let entry = null;
  let stopped = false;
  const framed = typeof ctx.close === "function"; // the app's drawer has title and close

  const forget = () => {
    if (entry) openPanels.delete(entry);
  };
  const close = () => {
    forget();
    if (framed) ctx.close();
    else container.replaceChildren();
  };

  async function mount(current) {
    const panel = new Panel(current);
    let loadError = null;
    if (!panel.roomId) loadError = new Error(panel.tr("host.error.no_room"));
    else {
      try {
        await panel.refreshRoom();
      } catch (err) {
        loadError = err; // draw with what ctx gave us; the error shows on top
      }
    }
    if (stopped) return panel;
    forget();
    const root = render(panel, { close, framed }, loadError);
    entry = { panel, root };
    openPanels.add(entry);
    container.replaceChildren(root);
    // A change of role or rights (a handover, the host editing mine) redraws the tabs.
    panel.on("me", () => mount({ ...current, room: panel.room, me: panel.me }));
    return panel;
  }

  // Live events straight from the connection, for as long as the panel is open.
  const unsubscribe = [];
  if (ctx.ws && typeof ctx.ws.on === "function") {
    for (const type of LIVE_EVENTS) {
      const off = ctx.ws.on(type, (event) => {
        if (entry) dispatch(entry.panel, ctx, { type, ...event });
      });
      if (typeof off === "function") unsubscribe.push(off);
    }
  }

  await mount(ctx);
  const cleanup = () => {
    stopped = true;
    forget();
    unsubscribe.splice(0).forEach((off) => off());
  };
  cleanup.refresh = () => mount({ ...ctx, room: entry.panel.room, me: entry.panel.me });
  return cleanup;
}

function render(panel, { close, framed }, loadError) {
  const { tr } = panel;
  const titleId = uid("ht-title");
  const sections = loadError && !panel.room ? [] : SECTIONS.filter((s) => s.visible(panel));
  const tablist = h("div", { role: "tablist", class: "ht-tabs", "aria-label": tr("host.sections") });
  const body = h("div", { class: "ht-body" });
  const tabs = new Map(); // id -> {tab, pane, section, el, count}

  function select(id, { focus = false } = {}) {
    for (const [key, t] of tabs) {
      const on = key === id;
      t.tab.setAttribute("aria-selected", on ? "true" : "false");
      t.tab.tabIndex = on ? 0 : -1;
      t.pane.hidden = !on;
      if (on) {
        if (!t.el) draw(t);
        else if (t.section.refreshOnShow && t.el.refresh) t.el.refresh();
        if (focus) t.tab.focus();
      }
    }
    lastTab = id;
  }

  function draw(t) {
    t.el = t.section.render(panel);
    t.pane.replaceChildren(h("h3", { class: "ht-pane-title" }, tr(`host.${t.section.id}.tab`)), t.el);
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
      h("span", null, tr(`host.${section.id}.tab`)),
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

  panel.on("badge", ({ id, count }) => {
    const t = tabs.get(id);
    if (!t) return;
    t.count.textContent = count ? String(count) : "";
    t.count.hidden = !count;
  });

  const closed = h("p", { class: "ht-banner", hidden: !panel.closed }, tr("host.closed_room"));
  panel.on("room", () => {
    closed.hidden = !panel.closed;
    roomName.textContent = (panel.room && panel.room.name) || "";
  });
  const roomName = h("span", { class: "ht-room" }, (panel.room && panel.room.name) || "");
  const head = framed
    ? null
    : h(
        "header",
        { class: "ht-head" },
        h("h2", { id: titleId }, tr("host.title")),
        roomName,
        button("×", close, { class: "ht-btn ht-btn-icon ht-close", "aria-label": tr("host.close") }),
      );
  const root = h(
    "section",
    framed ? { class: "ht-panel ht-framed", "aria-label": tr("host.title") } : { class: "ht-panel", "aria-labelledby": titleId },
    head,
    loadError ? h("p", { class: "ht-error", role: "alert" }, loadError.message || String(loadError)) : null,
    closed,
    sections.length ? tablist : h("p", { class: "ht-empty" }, tr("host.no_tools")),
    body,
  );
  if (!framed) {
    // The app's drawer is a <dialog> that closes on Escape by itself.
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented && !event.target.closest("dialog")) close();
    });
  }

  for (const id of EAGER) if (tabs.has(id)) draw(tabs.get(id));
  if (tabs.size) select(tabs.has(lastTab) ? lastTab : tabs.keys().next().value);
  return root;
}

// -- the message menu ------------------------------------------------------------------

function memberFrom(ctx, panel, memberId) {
  let found = null;
  let known = ctx.members;
  if (typeof known === "function") {
    try {
      known = known();
    } catch {
      known = null;
    }
  }
  if (known instanceof Map) found = known.get(memberId);
  else if (Array.isArray(known)) found = known.find((m) => m.id === memberId);
  else if (known && typeof known === "object") found = known[memberId];
  if (!found && panel.members) found = panel.members.find((m) => m.id === memberId);
  return found || { id: memberId, nickname: panel.who(memberId), role: "member" };
}

export function messageActions(ctx, message) {
  if (!message || message.deleted || message.kind === "system" || !ctx || !ctx.room) return [];
  const panel = livePanels(ctx.room.id)[0] || new Panel(ctx);
  const { tr } = panel;
  const actions = [];
  const refused = (err) => alertDialog(tr, tr("host.error.refused"), err.message || String(err)).then(() => false);

  if (panel.can("hide") && HIDEABLE.has(message.kind)) {
    const hide = !message.hidden;
    actions.push({
      id: hide ? "hide" : "unhide",
      label: tr(hide ? "host.messages.hide" : "host.messages.unhide"),
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
    actions.push({ id: "timeout", label: tr("host.members.timeout"), run: async () => Boolean(await timeoutDialog(panel, sender)) });
  }
  if (panel.can("kick")) {
    actions.push(
      { id: "kick", label: tr("host.members.kick"), danger: true, run: async () => Boolean(await kickDialog(panel, sender)) },
      { id: "ban", label: tr("host.members.ban"), danger: true, run: async () => Boolean(await kickDialog(panel, sender, { ban: true })) },
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

const LIVE_EVENTS = ["join_request", "report", "message", "left"];

/** The room an event is about: `room` (an id, or a Room on `joined`), else its message's. */
function roomOf(event) {
  if (event.room && typeof event.room === "object") return event.room.id;
  return event.room || (event.message && event.message.room) || null;
}

function dispatch(panel, ctx, event) {
  if (roomOf(event) !== panel.roomId) return false;
  if (event.type === "join_request") panel.emit("join_request", event.request);
  else if (event.type === "report") panel.emit("report", event.report);
  else if (event.type === "message") applyMessage(panel, event);
  else if (event.type === "left") {
    // Removed from the room (kicked, banned, or left elsewhere): nothing here works now.
    for (const entry of openPanels) if (entry.panel === panel) openPanels.delete(entry);
    if (ctx && typeof ctx.close === "function") ctx.close();
  } else return false;
  return true;
}

export function onEvent(ctx, event) {
  const roomId = event && roomOf(event);
  if (!roomId) return false;
  let used = false;
  for (const panel of livePanels(roomId)) used = dispatch(panel, ctx, event) || used;
  return used;
}

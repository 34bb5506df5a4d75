// OpenLink in the browser: boot, session, routing between screens.
//
// Routes (location.hash): #/ (my rooms; Discover beside them on wide screens),
// #/discover?q=&tag=, #/preview/{room}, #/join/{code} (where /l/{code} cards point),
// #/room/{room}, #/settings, #/new?name=&tag=, #/clips?interest= (short videos),
// #/signin, #/signup (both take ?next=).
// Visitors who have not signed in browse Discover, search and previews; the rest asks
// them to sign in first and comes back after.

import { createApi } from "./api.js";
import { h } from "./dom.js";
import { overrideLanguage, pickLanguage, setLanguage, setOverrideLanguage } from "./i18n.js";
import { setMediaRefresher } from "./media/view.js";
import { ChatState } from "./state.js";
import { closeMenu } from "./ui.js";
import { storage } from "./util.js";
import { renderAuth, visitorBar } from "./views/auth.js";
import { mountChat } from "./views/chat.js";
import { mountClips } from "./views/clips.js";
import { mountCreate } from "./views/create.js";
import { mountDiscover } from "./views/discover.js";
import { mountJoin } from "./views/join.js";
import { mountSettings } from "./views/settings.js";
import { createSidebar } from "./views/sidebar.js";
import { Connection } from "./ws.js";

const TOKEN_KEY = "openlink.token";
const root = document.getElementById("app");

const app = {
  token: storage.get(TOKEN_KEY),
  prefs: { translationMode: "replace", ...(storage.get("openlink.prefs", {}) || {}) },
  signedIn: () => Boolean(app.token && app.state.user),
  uiOverride: () => overrideLanguage(),
};
app.api = createApi(() => app.token, () => signOutLocally());
app.conn = new Connection({ getToken: () => app.token, getSince: () => app.state.sinceMap() });
app.state = new ChatState(app.api, app.conn, () => app.token);
setMediaRefresher((id) => app.api.get(`/api/media/${encodeURIComponent(id)}`));
app.conn.on("auth_failed", () => signOutLocally());

app.setPref = (key, value) => {
  app.prefs[key] = value;
  storage.set("openlink.prefs", app.prefs);
  render(true);
};

app.setUiLanguage = async (lang) => {
  setOverrideLanguage(lang);
  await setLanguage(pickLanguage(app.state.user && app.state.user.language));
  render(true);
};

app.updateUser = async (user) => {
  app.state.setUser({ ...app.state.user, ...user });
  const lang = pickLanguage(user.language);
  if (lang !== document.documentElement.lang) {
    await setLanguage(lang);
    render(true);
  }
};

app.signIn = async (token, user, next) => {
  app.token = token;
  storage.set(TOKEN_KEY, token);
  app.state.setUser(user);
  await setLanguage(pickLanguage(user.language));
  await loadTranslationInfo();
  app.conn.start();
  shell = null;
  location.hash = next ? `#${next}` : "#/";
  render(true);
};

app.signOut = async () => {
  try {
    await app.api.del("/api/sessions/current");
  } catch {
    /* signed out locally either way */
  }
  signOutLocally();
};

function signOutLocally() {
  if (!app.token && !app.state.user) return;
  app.token = null;
  storage.set(TOKEN_KEY, null);
  app.conn.stop();
  app.state.reset();
  if (shell) shell.sidebar.destroy();
  shell = null;
  location.hash = "#/signin";
  render(true);
}

async function loadTranslationInfo() {
  try {
    app.state.translation = await app.api.get("/api/translation", null, { auth: false });
  } catch {
    app.state.translation = { configured: false, engine: "none" };
  }
}

// ---- routing -----------------------------------------------------------------------

function parseRoute() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map((p) => decodeURIComponent(p));
  return { name: parts[0] || "home", arg: parts[1] || null, query, path };
}

// What a visitor may see without an account; every other route asks to sign in first.
const BROWSABLE = new Set(["home", "discover", "join", "preview"]);
let shell = null;
let mounted = null;
let lastKey = null;

function buildShell() {
  const sidebar = createSidebar(app);
  const main = h("main", { class: "main-pane", id: "main", tabindex: "-1" });
  const el = h("div", { class: "app-shell", "data-pane": "list" },
    h("a", { class: "skip-link", href: "#main", onclick: (e) => { e.preventDefault(); main.focus(); } }, "↓"),
    sidebar.el, main);
  return { el, sidebar, main };
}

function render(force = false) {
  const route = parseRoute();
  const key = `${route.name}/${route.arg}/${route.query}`;
  if (!force && key === lastKey) return;
  lastKey = key;
  closeMenu();
  mounted?.destroy?.();
  mounted = null;

  if (!app.signedIn()) {
    renderVisitor(route);
    return;
  }

  if (route.name === "signin" || route.name === "signup") {
    const next = new URLSearchParams(route.query).get("next");
    history.replaceState(null, "", `#${next || "/"}`);
    render(true);
    return;
  }
  if (!shell || force) {
    if (shell) shell.sidebar.destroy();
    shell = buildShell();
    root.className = "";
    root.replaceChildren(shell.el);
  }
  const { main, sidebar, el } = shell;
  el.dataset.pane = route.name === "home" ? "list" : "main";
  sidebar.setCurrent(route.name === "room" ? route.arg : null);
  main.replaceChildren();
  switch (route.name) {
    case "room":
      mounted = mountChat(app, route.arg, main);
      break;
    case "join":
    case "preview":
      mounted = mountRoute(main, route);
      break;
    case "settings":
      mounted = mountSettings(app, main);
      break;
    case "new":
      mounted = mountCreate(app, main, route.query);
      break;
    case "clips":
      mounted = mountClips(app, main, route.query);
      break;
    default:
      mounted = mountRoute(main, route);
  }
}

/** The screens a visitor and a member share: Discover, a room's preview and join page. */
function mountRoute(container, route) {
  if (route.name === "join") return mountJoin(app, container, { code: route.arg, query: route.query });
  if (route.name === "preview") return mountJoin(app, container, { roomId: route.arg, query: route.query });
  return mountDiscover(app, container, route.name === "discover" ? route.query : "");
}

function renderVisitor(route) {
  shell = null;
  root.className = "";
  if (BROWSABLE.has(route.name)) {
    const main = h("main", { class: "solo-page", id: "main" });
    root.replaceChildren(h("div", { class: "visitor" }, visitorBar(app, route.path), main));
    mounted = mountRoute(main, route);
    return;
  }
  let next = new URLSearchParams(route.query).get("next");
  if (route.name !== "signin" && route.name !== "signup") {
    next = route.path !== "/" ? `${route.path}${route.query ? `?${route.query}` : ""}` : null;
    history.replaceState(null, "", `#/signin${next ? `?next=${encodeURIComponent(next)}` : ""}`);
  }
  root.replaceChildren(renderAuth(app, route.name === "signup" ? "signup" : "signin", next));
}

window.addEventListener("hashchange", () => render());

// ---- boot --------------------------------------------------------------------------

async function boot() {
  if (app.token) {
    try {
      const me = await app.api.get("/api/me");
      app.state.setUser(me);
    } catch (err) {
      if (err.status === 401) {
        app.token = null;
        storage.set(TOKEN_KEY, null);
      } else {
        // The server is unreachable: keep the session and let the socket retry.
        app.state.setUser(storage.get("openlink.lastUser") || { id: 0, display_name: "", language: "en" });
      }
    }
  }
  await setLanguage(pickLanguage(app.state.user && app.state.user.language));
  if (app.signedIn()) {
    await loadTranslationInfo();
    app.conn.start();
  }
  render(true);
}

app.state.on("user", (user) => storage.set("openlink.lastUser", user));

if (window.__OPENLINK_TEST__) {
  // Hooks for the browser tests only (set by the test before the page loads).
  const acks = [];
  app.conn.on("ack", (e) => acks.push(e));
  window.__openlinkTest = {
    app,
    acks,
    drop: () => app.conn.drop("test"),
    hold: () => {
      app.conn.held = true;
      app.conn.drop("test");
    },
    release: () => {
      app.conn.held = false;
      app.conn.connectNow();
    },
    /** Send the next op, then cut the socket before any answer can come back. */
    dropAfterNextSend: () => {
      const send = app.conn.send.bind(app.conn);
      app.conn.send = (op) => {
        const sent = send(op);
        if (sent && op.op === "send") {
          app.conn.send = send;
          app.conn.drop("test");
        }
        return sent;
      };
    },
    outbox: () => app.state.outbox.length,
  };
}

boot();

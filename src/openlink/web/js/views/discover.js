// Discover: search in any language, tags, recommended rooms (with why) and trending.
// Visitors see it too (search and trending need no account); a search that finds
// nothing offers to start the room it was looking for.

import { h, icon, replaceChildren } from "../dom.js";
import { formatNumber, languageName, t } from "../i18n.js";
import { avatar, errorText } from "../ui.js";
import { debounce } from "../util.js";

export function tagChip(tag, onClick) {
  const name = typeof tag === "string" ? tag : tag.name;
  const cat = typeof tag === "string" ? "hobby" : tag.category;
  if (onClick) {
    return h("button", { type: "button", class: `tag tag-${cat}`, onclick: () => onClick(name) }, `#${name}`);
  }
  return h("span", { class: `tag tag-${cat}` }, `#${name}`);
}

function reasonText(reason) {
  const [kind, value] = reason.split(/:(.*)/s);
  if (kind === "interest") return t("discover.reason_interest", { name: value });
  if (kind === "related") return t("discover.reason_related", { name: value });
  if (kind === "language") return t("discover.reason_language");
  return t("discover.reason_popular");
}

export function roomCard(room, { reasons, joined } = {}) {
  return h("li", { class: "room-card-wrap" },
    h("a", { class: "room-card", href: joined ? `#/room/${room.id}` : `#/preview/${room.id}`, "data-room": room.id },
      avatar(room.name, room.cover_url, room.id, "lg"),
      h("div", { class: "room-card-text" },
        h("h3", { class: "room-card-name", dir: "auto" }, room.name),
        room.description ? h("p", { class: "room-card-desc", dir: "auto" }, room.description) : null,
        h("div", { class: "room-card-meta" },
          h("span", null, icon("users"), t("chat.members", { n: room.member_count, count: formatNumber(room.member_count) })),
          room.language ? h("span", null, icon("globe"), languageName(room.language)) : null,
          room.has_code ? h("span", null, t("discover.code_needed")) : null,
          joined ? h("span", { class: "joined-mark" }, t("discover.joined")) : null,
        ),
        room.tags && room.tags.length ? h("div", { class: "tags" }, room.tags.slice(0, 5).map((tag) => tagChip(tag))) : null,
        reasons && reasons.length ? h("div", { class: "reasons" }, reasons.slice(0, 2).map((r) => h("span", { class: "reason" }, reasonText(r)))) : null,
      ),
    ),
  );
}

/** Nothing found: say so, and offer to start the room the search was looking for. */
function noResults(q, tag) {
  const params = new URLSearchParams({ ...(q ? { name: q } : {}), ...(tag ? { tag } : {}) });
  return h("div", { class: "no-results", "data-testid": "no-results" },
    h("p", { class: "muted" }, t("discover.no_results")),
    h("a", { class: "btn btn-primary", href: `#/new?${params}` }, icon("plus"),
      q ? t("discover.create_about", { q }) : t("discover.create_tagged", { tag })),
  );
}

export function mountDiscover(app, container, query) {
  const params = new URLSearchParams(query || "");
  let q = params.get("q") || "";
  let tag = params.get("tag") || "";
  let cursor = null;
  let seq = 0;
  const mine = (room) => app.state.rooms.has(room.id);

  const input = h("input", { type: "search", value: q, class: "search-input", placeholder: t("discover.search_placeholder"), "aria-label": t("discover.search"), enterkeyhint: "search" });
  const tagsRow = h("div", { class: "tag-row", role: "group", "aria-label": t("discover.tags") });
  const results = h("section", { class: "disc-section", "aria-live": "polite", "aria-busy": "false" });
  const recommended = h("section", { class: "disc-section" });
  const trending = h("section", { class: "disc-section" });
  const el = h("div", { class: "page discover" },
    h("header", { class: "page-head" },
      app.signedIn() ? h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")) : null,
      h("h2", null, t("nav.discover")),
      h("a", { class: "btn btn-ghost", href: "#/new", "aria-label": t("nav.new_room") }, icon("plus"), h("span", { class: "label" }, t("nav.new_room"))),
    ),
    h("form", { class: "search-form", role: "search", onsubmit: (e) => { e.preventDefault(); run(); } },
      icon("search"), input),
    tagsRow, results, recommended, trending,
  );
  replaceChildren(container, el);

  function setTag(name) {
    tag = tag === name ? "" : name;
    renderTags(lastTags);
    run();
  }

  let lastTags = [];
  function renderTags(names) {
    lastTags = names;
    const all = [...new Set([tag, ...names].filter(Boolean))].slice(0, 14);
    replaceChildren(tagsRow, ...all.map((name) => h("button", {
      type: "button",
      class: `tag tag-hobby ${name === tag ? "active" : ""}`,
      "aria-pressed": name === tag ? "true" : "false",
      onclick: () => setTag(name),
    }, `#${name}`)));
  }

  async function run(more = false) {
    const my = ++seq;
    q = input.value.trim();
    const hash = `#/discover${q || tag ? `?${new URLSearchParams({ ...(q ? { q } : {}), ...(tag ? { tag } : {}) })}` : ""}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    if (!q && !tag) {
      results.replaceChildren();
      recommended.hidden = false;
      trending.hidden = false;
      return;
    }
    recommended.hidden = true;
    trending.hidden = true;
    results.setAttribute("aria-busy", "true");
    if (!more) replaceChildren(results, h("p", { class: "muted" }, t("common.loading")));
    try {
      const page = await app.api.get("/api/search", { q, tag, limit: 20, cursor: more ? cursor : null });
      if (my !== seq) return;
      cursor = page.next_cursor;
      const list = more ? results.querySelector("ul") : h("ul", { class: "room-cards" });
      list.append(...page.results.map((room) => roomCard(room, { joined: mine(room) })));
      const moreBtn = cursor ? h("button", { type: "button", class: "btn btn-ghost", onclick: (e) => { e.target.remove(); run(true); } }, t("discover.more")) : null;
      if (!more) {
        replaceChildren(results, 
          h("h3", { class: "section-title" }, tag && !q ? t("discover.tagged", { tag }) : t("discover.results")),
          page.results.length ? list : noResults(q, tag),
          page.semantic === "not_configured" ? h("p", { class: "hint" }, t("discover.keyword_only")) : null,
        );
      }
      if (moreBtn) results.append(moreBtn);
    } catch (err) {
      if (my === seq) replaceChildren(results, h("p", { class: "form-error", role: "alert" }, errorText(err)));
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  const searchLater = debounce(() => run(), 350);
  input.addEventListener("input", searchLater);

  async function loadLists() {
    const member = app.signedIn();
    if (member) await Promise.race([app.state.synced, new Promise((r) => setTimeout(r, 3000))]); // "Joined" marks
    const tagNames = new Set((app.state.user && app.state.user.interests) || []);
    const [rec, trend] = await Promise.allSettled([
      // Recommendations are for someone: a visitor has no interests to go by.
      member ? app.api.get("/api/discover/recommended", { limit: 12 }) : Promise.resolve({ rooms: [] }),
      app.api.get("/api/discover/trending", { limit: 12 }),
    ]);
    if (rec.status === "fulfilled" && rec.value.rooms.length) {
      replaceChildren(recommended, h("h3", { class: "section-title" }, t("discover.recommended")),
        h("ul", { class: "room-cards" }, rec.value.rooms.map((room) => roomCard(room, { reasons: room.reasons }))));
      for (const room of rec.value.rooms) for (const tg of room.tags) tagNames.add(tg.name);
    } else {
      recommended.replaceChildren();
    }
    if (trend.status === "fulfilled") {
      replaceChildren(trending, h("h3", { class: "section-title" }, t("discover.trending")),
        trend.value.rooms.length
          ? h("ul", { class: "room-cards" }, trend.value.rooms.map((room) => roomCard(room, { joined: mine(room) })))
          : h("p", { class: "muted" }, t("discover.nothing_trending")));
      for (const room of trend.value.rooms) for (const tg of room.tags) tagNames.add(tg.name);
    } else {
      replaceChildren(trending, h("p", { class: "form-error", role: "alert" }, errorText(trend.reason)));
    }
    renderTags([...tagNames]);
  }

  renderTags([]);
  loadLists();
  if (q || tag) run();
  return { destroy() {} };
}

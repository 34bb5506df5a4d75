// A room before joining: from discovery (#/preview/{id}) or a link (#/join/{code}), for
// members and visitors alike. Shows the room, its notice and recent messages, then a
// compact join box: which profile to show in this room (the one used last, else main, a
// saved open profile or a new one), a participation code when the room has one, and the
// pending state when the host approves newcomers. A visitor is sent to sign in and comes
// back here (?join=1) with the join box ready.

import { h, icon, replaceChildren } from "../dom.js";
import { formatNumber, languageName, t } from "../i18n.js";
import { avatar, errorText, field, toast } from "../ui.js";
import { storage } from "../util.js";
import { tagChip } from "./discover.js";
import { renderMessage } from "./message.js";

function readOnlyRoomState(messages, shown = []) {
  // The preview's own member views (the host, and authors still in the room) first; then
  // whoever a shown `joined` message names.
  const members = new Map(shown.map((m) => [m.id, m]));
  for (const m of messages) {
    if (m.kind === "system" && m.system && m.system.event === "joined" && m.system.profile) {
      members.set(m.system.profile.id, m.system.profile);
    }
  }
  return { id: "preview", members, me: null, myReactions: new Map(), msgs: new Map(messages.map((m) => [m.seq, m])), translationFor: () => null };
}

function previewMessages(app, messages, note, shown) {
  const rs = readOnlyRoomState(messages, shown);
  const ctx = { app, rs, myLang: app.state.myLang, mode: "replace", readOnly: true, engineOn: false,
    showOriginal: new Set(), trStatus: new Map() };
  return h("section", { class: "preview-messages", "aria-label": t("preview.recent") },
    h("h3", { class: "section-title" }, t("preview.recent")),
    note ? h("p", { class: "muted" }, note) : null,
    messages.length ? h("div", { class: "msg-list readonly", "data-testid": "preview-messages" }, messages.map((m) => h("div", { class: "msg-row" }, renderMessage(ctx, m)))) : null,
  );
}

/** The profile chosen at the last join ("main" or "saved:{id}"), per account. */
const lastProfileKey = (app) => `openlink.lastProfile.${app.state.user.id}`;

/** Which profile the join box starts on: the one used last, else the newest saved one. */
function defaultChoice(app, saved) {
  const last = storage.get(lastProfileKey(app));
  if (last === "main" || (last && saved.some((p) => `saved:${p.id}` === last))) return last;
  const newest = [...saved].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  return newest ? `saved:${newest.id}` : "new";
}

export function mountJoin(app, container, { roomId, code, query = "" }) {
  const continuing = new URLSearchParams(query).get("join") === "1";
  let destroyed = false;
  let shownId = roomId;
  const page = h("div", { class: "page join-page" }, h("p", { class: "muted", role: "status" }, t("common.loading")));
  replaceChildren(container, page);

  async function load() {
    let room;
    let preview = null;
    let note = null;
    try {
      room = code ? await app.api.get(`/api/links/${encodeURIComponent(code)}`) : null;
    } catch (err) {
      return fail(err);
    }
    const id = roomId || room.id;
    try {
      preview = await app.api.get(`/api/rooms/${encodeURIComponent(id)}/preview`);
      room = { ...room, ...preview.room };
    } catch (err) {
      if (!room) return fail(err);
      note = err.code === "preview_disabled" ? t("preview.disabled") : t("preview.join_to_read");
    }
    let saved = [];
    if (app.signedIn()) {
      // Whether I am already in the room is known once the socket said `ready`.
      const profiles = app.api.get("/api/me/open-profiles").then((r) => r.open_profiles, () => []);
      await Promise.race([app.state.synced, new Promise((r) => setTimeout(r, 4000))]);
      saved = await profiles;
    }
    if (!destroyed) render(room, preview, note, saved);
  }

  function fail(err) {
    if (destroyed) return;
    replaceChildren(page, 
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")),
        h("h2", null, t("preview.title")),
      ),
      h("div", { class: "pane-empty" },
        h("p", { role: "alert" }, errorText(err)),
        h("a", { class: "btn btn-primary", href: "#/discover" }, t("nav.discover")),
      ),
    );
  }

  function render(room, preview, note, saved) {
    shownId = room.id;
    const member = app.state.rooms.has(room.id);
    const box = member
      ? h("div", { class: "join-box" }, h("p", null, t("preview.already_member")), h("a", { class: "btn btn-primary", href: `#/room/${room.id}` }, t("preview.open_chat")))
      : joinBox(room, saved);
    replaceChildren(page,
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: "#/discover", "aria-label": t("common.back") }, icon("back")),
        h("h2", null, t("preview.title")),
      ),
      h("section", { class: "room-hero", "aria-labelledby": "room-hero-name" },
        avatar(room.name, room.cover_url, room.id, "xl"),
        h("div", { class: "room-hero-text" },
          h("h1", { id: "room-hero-name", dir: "auto" }, room.name),
          h("p", { class: "room-hero-meta" },
            t("chat.members", { n: room.member_count, count: formatNumber(room.member_count) }),
            room.language ? ` · ${languageName(room.language)}` : "",
            room.kind === "direct_link" ? ` · ${t("preview.one_to_one")}` : "",
          ),
          room.description ? h("p", { class: "room-desc", dir: "auto" }, room.description) : null,
          room.tags && room.tags.length ? h("div", { class: "tags" }, room.tags.map((tag) => tagChip(tag))) : null,
        ),
      ),
      preview && preview.notice && !preview.notice.deleted && !preview.notice.hidden
        ? h("div", { class: "notice-bar" }, icon("pin"), h("span", { class: "notice-text", dir: "auto" }, preview.notice.body))
        : null,
      previewMessages(app, preview ? preview.messages : [], note, preview ? preview.members : []),
      box,
    );
    if (continuing) {
      // Back from signing in to join: the join box is where this visit was going.
      box.scrollIntoView({ block: "end" });
      box.querySelector("button[type=submit], .btn-primary")?.focus({ preventScroll: true });
    }
  }

  function joinBox(room, saved) {
    if (!app.signedIn()) {
      const next = `${code ? `/join/${code}` : `/preview/${room.id}`}?join=1`;
      return h("div", { class: "join-box", "data-testid": "visitor-join" },
        h("p", null, t("preview.sign_in_to_join")),
        h("div", { class: "row" },
          h("a", { class: "btn btn-primary", href: `#/signin?next=${encodeURIComponent(next)}` }, t("auth.sign_in")),
          h("a", { class: "btn btn-ghost", href: `#/signup?next=${encodeURIComponent(next)}` }, t("auth.create_account")),
        ),
      );
    }
    const pending = app.state.requests.get(room.id);
    if (pending) return pendingBox(room, pending.request);
    if (room.status === "closed") return h("div", { class: "join-box" }, h("p", null, t("chat.room_closed")));
    return profileChooser(room, saved);
  }

  function pendingBox(room, request) {
    if (request.status === "approved") return approvedBox(room);
    const rejected = request.status === "rejected";
    return h("div", { class: "join-box pending", role: "status", "data-testid": "join-pending", "data-status": request.status },
      h("p", null, rejected ? t("join.request_rejected") : t("join.request_sent")),
      rejected
        ? h("button", { type: "button", class: "btn btn-ghost", onclick: () => { app.state.requests.drop(room.id); load(); } }, t("common.dismiss"))
        : h("button", {
          type: "button",
          class: "btn btn-ghost",
          onclick: async () => {
            try {
              await app.api.del(`/api/rooms/${room.id}/join-request`);
            } catch (err) {
              if (err.code !== "join_request_not_found") {
                toast(errorText(err), "error");
                return;
              }
            }
            app.state.requests.drop(room.id);
            load();
          },
        }, t("join.withdraw")),
    );
  }

  // Approved: coming in is the applicant's own step (the host sees a "joined" only then).
  function approvedBox(room) {
    const enter = h("button", {
      type: "button",
      class: "btn btn-primary",
      onclick: async () => {
        enter.disabled = true;
        try {
          const res = await app.api.post(`/api/rooms/${room.id}/join-request/accept`, {});
          app.state.ensureRoom(res.room, res.me);
          location.hash = `#/room/${res.room.id}`;
        } catch (err) {
          toast(errorText(err), "error");
          if (err.code === "join_request_not_found" || err.code === "approval_expired") {
            app.state.requests.drop(room.id);
            load();
          } else enter.disabled = false;
        }
      },
    }, t("join.enter"));
    return h("div", { class: "join-box pending", role: "status", "data-testid": "join-pending", "data-status": "approved" },
      h("p", null, t("join.request_approved")),
      enter,
    );
  }

  function profileChooser(room, saved) {
    const mainOnly = room.profile_policy === "main_required";
    const error = h("p", { class: "form-error", role: "alert" });
    const options = h("div", { class: "profile-options", role: "radiogroup", "aria-label": t("join.show_as") });
    const nickname = h("input", { maxlength: "40", placeholder: t("join.nickname_placeholder"), autocomplete: "off" });
    const avatarUrl = h("input", { type: "url", placeholder: "https://…", maxlength: "2048" });
    const save = h("input", { type: "checkbox" });
    const newFields = h("div", { class: "new-profile" },
      field(t("join.nickname"), nickname),
      field(t("join.avatar_url"), avatarUrl, t("join.avatar_hint")),
      h("label", { class: "check" }, save, t("join.save_profile")),
    );
    const codeInput = h("input", { type: "password", autocomplete: "off", maxlength: "32" });
    const codeField = field(t("join.code"), codeInput, t("join.code_hint"));
    codeField.hidden = !room.has_code;
    const name = `profile-${room.id}`;
    let choice = mainOnly ? "main" : defaultChoice(app, saved);
    newFields.hidden = choice !== "new";

    const radio = (value, label, detail, extra) => h("label", { class: "profile-option", title: detail || null },
      h("input", { type: "radio", name, value, checked: value === choice, onchange: () => { choice = value; newFields.hidden = choice !== "new"; } }),
      extra || null,
      h("span", { class: "profile-option-text" }, h("strong", null, label), detail ? h("small", null, detail) : null),
    );
    const user = app.state.user;
    options.append(radio("main", t("join.main_profile"), user.display_name, avatar(user.display_name, null, `u${user.id}`, "sm")));
    if (!mainOnly) {
      for (const p of saved) options.append(radio(`saved:${p.id}`, p.nickname, t("join.saved_profile"), avatar(p.nickname, p.avatar_url, p.id, "sm")));
      options.append(radio("new", t("join.new_open_profile"), null, h("span", { class: "avatar avatar-sm hue-3", "aria-hidden": "true" }, "+")));
    }
    const button = h("button", { type: "submit", class: "btn btn-primary btn-block" }, room.join_approval ? t("join.ask_to_join") : t("join.join"));

    const form = h("form", { class: "join-box compact", "aria-labelledby": "join-title" },
      h("h3", { id: "join-title" }, t("join.show_as")),
      mainOnly ? h("p", { class: "hint" }, t("join.main_required")) : h("p", { class: "hint" }, t("join.open_profile_explain")),
      options, newFields, codeField,
      room.join_approval ? h("p", { class: "hint" }, t("join.approval_note")) : null,
      error, button,
    );

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      button.disabled = true;
      try {
        let profile = { kind: "main" };
        let remember = choice;
        if (choice.startsWith("saved:")) profile = { kind: "open", open_profile_id: choice.slice(6) };
        else if (choice === "new") {
          const nick = nickname.value.trim();
          if (!nick) {
            error.textContent = t("join.nickname_required");
            nickname.focus();
            button.disabled = false;
            return;
          }
          const url = avatarUrl.value.trim() || null;
          if (save.checked) {
            const kept = await app.api.post("/api/me/open-profiles", { nickname: nick, avatar_url: url });
            profile = { kind: "open", open_profile_id: kept.id };
            remember = `saved:${kept.id}`;
          } else {
            profile = { kind: "open", nickname: nick, avatar_url: url };
            remember = null; // a one-off profile: the next join starts from the last kept one
          }
        }
        const body = { profile };
        if (codeInput.value) body.code = codeInput.value;
        const path = code ? `/api/links/${encodeURIComponent(code)}/join` : `/api/rooms/${room.id}/join`;
        const res = await app.api.post(path, body);
        if (remember) storage.set(lastProfileKey(app), remember);
        if (res.request) {
          app.state.requests.add(res.room, res.request);
          load();
          return;
        }
        app.state.ensureRoom(res.room, res.me);
        location.hash = `#/room/${res.room.id}`;
      } catch (err) {
        if (err.code === "code_required" || err.code === "wrong_code") {
          codeField.hidden = false;
          codeInput.focus();
        }
        error.textContent = errorText(err);
        button.disabled = false;
      }
    });
    return form;
  }

  load();
  const unsub = app.state.on("rooms", () => {
    const box = page.querySelector("[data-testid=join-pending]");
    if (!shownId || !box) return;
    // In already (entered from another tab): go straight in. Decided while looking at
    // the pending state: show the decision (approved: the way in).
    if (app.state.rooms.has(shownId)) location.hash = `#/room/${shownId}`;
    else if (app.state.requests.get(shownId)?.request.status !== box.dataset.status) load();
  });
  return { destroy() { destroyed = true; unsub(); } };
}

// Settings: display name, reading language, app language, how translations show,
// interests, saved open profiles, sign out.

import { h, icon, replaceChildren } from "../dom.js";
import { UI_LANGUAGES, languageName, t } from "../i18n.js";
import { READING_LANGUAGES, avatar, confirmDialog, errorText, field, toast } from "../ui.js";

function section(title, ...children) {
  const id = `s-${title.replace(/\W+/g, "-")}-${Math.random().toString(36).slice(2, 6)}`;
  return h("section", { class: "settings-section", "aria-labelledby": id }, h("h3", { id }, title), ...children);
}

export function mountSettings(app, container) {
  const user = app.state.user;
  const el = h("div", { class: "page settings" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")),
      h("h2", null, t("nav.settings")),
    ),
  );
  replaceChildren(container, el);

  // -- profile & reading language
  const display = h("input", { value: user.display_name, maxlength: "40" });
  const langOptions = [...READING_LANGUAGES];
  if (!langOptions.includes(user.language)) langOptions.unshift(user.language);
  const reading = h("select", { "data-testid": "reading-language" }, langOptions.map((code) =>
    h("option", { value: code, selected: code === user.language }, `${languageName(code)} (${code})`)));
  const accountMsg = h("p", { class: "form-msg", role: "status" });
  const accountForm = h("form", { class: "settings-form" },
    field(t("auth.display_name"), display),
    field(t("settings.reading_language"), reading, t("settings.reading_language_hint")),
    h("button", { type: "submit", class: "btn btn-primary" }, t("common.save")),
    accountMsg,
  );
  accountForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    accountMsg.textContent = "";
    try {
      const me = await app.api.patch("/api/me", { display_name: display.value.trim(), language: reading.value });
      const langChanged = me.language !== app.state.user.language;
      await app.updateUser(me);
      if (langChanged) app.conn.reconnect(); // the socket's reading language is fixed at hello
      accountMsg.textContent = t("settings.saved");
    } catch (err) {
      accountMsg.textContent = errorText(err);
    }
  });

  // -- app language and translation display
  const uiSelect = h("select", { "data-testid": "ui-language", onchange: (e) => app.setUiLanguage(e.target.value || null) },
    h("option", { value: "", selected: !app.uiOverride() }, t("settings.automatic")),
    UI_LANGUAGES.map((code) => h("option", { value: code, selected: app.uiOverride() === code }, t(`lang.${code}`))));
  const modeName = "tr-mode";
  const modeRadio = (value, label) => h("label", { class: "check" },
    h("input", { type: "radio", name: modeName, value, checked: app.prefs.translationMode === value, onchange: () => app.setPref("translationMode", value) }),
    label);

  // -- interests
  const interests = [...(user.interests || [])];
  const chips = h("div", { class: "tags editable", role: "list" });
  const interestInput = h("input", { list: "interest-options", placeholder: t("settings.add_interest"), maxlength: "40" });
  const datalist = h("datalist", { id: "interest-options" });
  const interestMsg = h("p", { class: "form-msg", role: "status" });
  const renderChips = () => replaceChildren(chips, ...interests.map((name, i) =>
    h("span", { class: "tag tag-hobby", role: "listitem" }, `#${name}`,
      h("button", { type: "button", class: "chip-x", "aria-label": t("settings.remove_interest", { name }), onclick: () => { interests.splice(i, 1); renderChips(); } }, "×"))));
  renderChips();
  let suggestTimer = null;
  interestInput.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async () => {
      try {
        const res = await app.api.get("/api/interests", { q: interestInput.value.trim(), limit: 8 });
        replaceChildren(datalist, ...res.interests.flatMap((it) => it.aliases.map((a) => h("option", { value: a.alias }))).slice(0, 20));
      } catch {
        /* suggestions are optional */
      }
    }, 250);
  });
  const addInterest = () => {
    const v = interestInput.value.trim().replace(/^#/, "");
    if (v && !interests.includes(v.toLocaleLowerCase())) interests.push(v);
    interestInput.value = "";
    renderChips();
  };
  const interestForm = h("form", { class: "settings-form" },
    chips,
    h("div", { class: "row" }, interestInput, datalist, h("button", { type: "button", class: "btn btn-ghost", onclick: addInterest }, t("common.add"))),
    h("button", { type: "submit", class: "btn btn-primary" }, t("common.save")),
    interestMsg,
  );
  interestInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      addInterest();
    }
  });
  interestForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const me = await app.api.patch("/api/me", { interests });
      interests.splice(0, interests.length, ...me.interests);
      renderChips();
      await app.updateUser(me);
      interestMsg.textContent = t("settings.saved");
    } catch (err) {
      interestMsg.textContent = errorText(err);
    }
  });

  // -- open profiles
  const profilesList = h("ul", { class: "profile-list" });
  const profilesNote = h("p", { class: "hint" });
  const nick = h("input", { maxlength: "40", required: true });
  const url = h("input", { type: "url", placeholder: "https://…" });
  const profileMsg = h("p", { class: "form-msg", role: "status" });
  const profileForm = h("form", { class: "settings-form inline" },
    field(t("join.nickname"), nick), field(t("join.avatar_url"), url),
    h("button", { type: "submit", class: "btn btn-primary" }, t("settings.add_profile")), profileMsg);
  async function loadProfiles() {
    try {
      const res = await app.api.get("/api/me/open-profiles");
      profilesNote.textContent = t("settings.profiles_limit", { n: res.open_profiles.length, limit: res.limit });
      replaceChildren(profilesList, ...res.open_profiles.map((p) => profileRow(p)));
    } catch (err) {
      profilesNote.textContent = errorText(err);
    }
  }
  function profileRow(p) {
    const li = h("li", { class: "profile-row" },
      avatar(p.nickname, p.avatar_url, p.id, "sm"),
      h("span", { class: "profile-nick" }, p.nickname),
      h("button", { type: "button", class: "btn btn-ghost sm", onclick: () => editProfile(li, p) }, t("chat.edit")),
      h("button", { type: "button", class: "btn btn-ghost sm danger", onclick: async () => {
        if (!(await confirmDialog(t("settings.delete_profile"), t("settings.delete_profile_text", { name: p.nickname }), t("chat.delete"), true))) return;
        try {
          await app.api.del(`/api/me/open-profiles/${p.id}`);
          loadProfiles();
        } catch (err) {
          toast(errorText(err), "error");
        }
      } }, t("chat.delete")),
    );
    return li;
  }
  function editProfile(li, p) {
    const n = h("input", { value: p.nickname, maxlength: "40", "aria-label": t("join.nickname") });
    // Not type=url: a stored avatar is a path on this server (/api/images/…), which the
    // browser's URL check would refuse, blocking a save that changes only the nickname.
    const u = h("input", { value: p.avatar_url || "", type: "text", inputmode: "url", "aria-label": t("join.avatar_url") });
    const form = h("form", { class: "profile-row editing" }, n, u,
      h("button", { type: "submit", class: "btn btn-primary sm" }, t("common.save")),
      h("button", { type: "button", class: "btn btn-ghost sm", onclick: () => loadProfiles() }, t("common.cancel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await app.api.patch(`/api/me/open-profiles/${p.id}`, { nickname: n.value.trim(), avatar_url: u.value.trim() });
        loadProfiles();
      } catch (err) {
        toast(errorText(err), "error");
      }
    });
    replaceChildren(li, form);
    n.focus();
  }
  profileForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    profileMsg.textContent = "";
    try {
      await app.api.post("/api/me/open-profiles", { nickname: nick.value.trim(), avatar_url: url.value.trim() || null });
      nick.value = "";
      url.value = "";
      loadProfiles();
    } catch (err) {
      profileMsg.textContent = errorText(err);
    }
  });
  loadProfiles();

  el.append(
    section(t("settings.account"), h("p", { class: "muted" }, t("settings.signed_in_as", { name: `@${user.username || ""}` })), accountForm),
    section(t("settings.app_language"), field(t("settings.ui_language_label"), uiSelect, t("settings.app_language_hint"))),
    section(t("settings.translations"),
      h("div", { class: "radio-group", role: "radiogroup", "aria-label": t("settings.translations") },
        modeRadio("replace", t("settings.tr_replace")),
        modeRadio("both", t("settings.tr_both"))),
      h("p", { class: "hint" }, app.state.translation.configured ? t("settings.tr_engine_on") : t("settings.tr_engine_off"))),
    section(t("settings.interests"), h("p", { class: "hint" }, t("settings.interests_hint")), interestForm),
    section(t("settings.open_profiles"), h("p", { class: "hint" }, t("settings.open_profiles_hint")), profilesNote, profilesList, profileForm),
    section(t("settings.session"), h("button", { type: "button", class: "btn btn-danger", onclick: () => app.signOut() }, icon("logout"), t("settings.sign_out"))),
  );
  return { destroy() {} };
}

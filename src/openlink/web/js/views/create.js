// A new room: name, description, tags, who can find it, a participation code and the
// host's own profile in it. #/new?name=&tag= comes prefilled (from a search that found
// nothing).

import { h, icon, replaceChildren } from "../dom.js";
import { languageName, t } from "../i18n.js";
import { READING_LANGUAGES, errorText, field } from "../ui.js";

export function mountCreate(app, container, query = "") {
  const given = new URLSearchParams(query);
  const name = h("input", { required: true, maxlength: "80", value: given.get("name") || "" });
  const description = h("textarea", { rows: "3", maxlength: "2000" });
  // A one-word search makes a good first tag too.
  const word = (given.get("name") || "").trim();
  const firstTag = given.get("tag") || (/^\S{1,30}$/u.test(word) ? word : "");
  const tags = h("input", { placeholder: t("create.tags_placeholder"), value: firstTag.replace(/^#/, "") });
  const category = h("select", null, ["hobby", "place", "person", "content"].map((c) => h("option", { value: c }, t(`create.cat_${c}`))));
  const visibility = h("select", null,
    h("option", { value: "public" }, t("create.public")),
    h("option", { value: "unlisted" }, t("create.unlisted")));
  // The language the room speaks: readers of others get its messages translated.
  const mine = app.state.user.language;
  const languages = READING_LANGUAGES.includes(mine) ? READING_LANGUAGES : [mine, ...READING_LANGUAGES];
  const language = h("select", { "data-testid": "room-language" }, languages.map((c) =>
    h("option", { value: c, selected: c === mine }, `${languageName(c)} (${c})`)));
  const code = h("input", { maxlength: "32", autocomplete: "off" });
  const approval = h("input", { type: "checkbox" });
  const nickname = h("input", { maxlength: "40", placeholder: t("join.nickname_placeholder") });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, t("create.submit"));
  const form = h("form", { class: "settings-form create-form" },
    field(t("create.name"), name),
    field(t("create.description"), description),
    field(t("create.tags"), tags, t("create.tags_hint")),
    field(t("create.category"), category),
    field(t("create.visibility"), visibility),
    field(t("create.language"), language, t("create.language_hint")),
    field(t("join.code"), code, t("create.code_hint")),
    h("label", { class: "check" }, approval, t("create.approval")),
    field(t("create.your_nickname"), nickname, t("create.nickname_hint")),
    error, submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const nick = nickname.value.trim();
      const res = await app.api.post("/api/rooms", {
        name: name.value.trim(),
        description: description.value.trim(),
        tags: tags.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean).map((n) => ({ name: n, category: category.value })),
        visibility: visibility.value,
        language: language.value,
        code: code.value.trim() || null,
        join_approval: approval.checked,
        profile: nick ? { kind: "open", nickname: nick } : { kind: "main" },
      });
      app.state.ensureRoom(res.room, res.me);
      location.hash = `#/room/${res.room.id}`;
    } catch (err) {
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  });
  replaceChildren(container, h("div", { class: "page create" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: "#/", "aria-label": t("nav.back_to_chats") }, icon("back")),
      h("h2", null, t("nav.new_room")),
    ),
    form,
  ));
  name.focus();
  return { destroy() {} };
}

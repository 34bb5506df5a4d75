// Room info: name, description, tags, cover, member cap and participation code. Saving
// sends only what changed (PATCH /api/rooms/{id}); a cover is uploaded first
// (POST /api/images) and named by the path the server gives it.

import { t } from "../../i18n.js";
import { avatar } from "../../ui.js";
import { act, checkbox, errorLine, field, fill, h, select, statusLine } from "../dom.js";

const CATEGORIES = ["hobby", "place", "person", "content"];

/** "a, b，c、d" -> ["a", "b", "c", "d"]: commas of any script separate tags. */
function splitTags(text) {
  return [...new Set(text.split(/[,，、]/).map((s) => s.trim().replace(/^#/, "")).filter(Boolean))];
}

/** The same tags, in any order (the server keeps them sorted). */
function sameTags(a, b) {
  const key = (tags) => JSON.stringify((tags || []).map((tag) => `${tag.category}:${tag.name}`).sort());
  return key(a) === key(b);
}

export default {
  id: "info",
  visible: (panel) => panel.can("settings"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const name = h("input", { type: "text", name: "name", maxlength: 200, required: true, autocomplete: "off" });
    const description = h("textarea", { name: "description", rows: 4, maxlength: 10000 });
    const tags = h("input", { type: "text", name: "tags", autocomplete: "off" });
    const category = select(CATEGORIES.map((c) => ({ value: c, label: t(`create.cat_${c}`) })), "hobby", { name: "category" });
    const cap = h("input", { type: "number", name: "member_cap", min: 1, step: 1, inputmode: "numeric" });
    const capField = field(t("host.info.member_cap"), cap, t("host.info.member_cap_hint"));
    const coverShown = h("div", { class: "ht-cover" });
    const coverFile = h("input", { type: "file", name: "cover", accept: "image/png,image/jpeg,image/gif,image/webp" });
    const removeCover = checkbox(t("host.info.remove_cover"), false, { name: "remove_cover" });
    const codeState = h("p", { class: "ht-hint", "data-testid": "code-state" });
    const code = h("input", { type: "password", name: "code", maxlength: 64, autocomplete: "new-password" });
    const removeCode = checkbox(t("host.info.remove_code"), false, { name: "remove_code" });

    let shown = {};
    function load(room) {
      if (room.name !== shown.name) name.value = room.name || "";
      if (room.description !== shown.description) description.value = room.description || "";
      if (!sameTags(room.tags, shown.tags)) tags.value = (room.tags || []).map((tag) => tag.name).join(", ");
      if (room.member_cap !== shown.member_cap) cap.value = room.member_cap ? String(room.member_cap) : "";
      capField.hidden = room.kind === "direct_link";
      fill(coverShown, avatar(room.name, room.cover_url, room.id, "xl"));
      removeCover.hidden = !room.cover_url;
      codeState.textContent = t(room.has_code ? "host.info.code_set" : "host.info.code_none");
      removeCode.hidden = !room.has_code;
      shown = { ...room };
    }

    function tagChanges(room) {
      const names = splitTags(tags.value);
      const before = new Map((room.tags || []).map((tag) => [tag.name, tag.category]));
      const wanted = names.map((n) => ({ name: n, category: before.get(n) || category.value }));
      return sameTags(wanted, room.tags) ? null : wanted;
    }

    async function changes() {
      const room = panel.room;
      const body = {};
      if (name.value.trim() !== room.name) body.name = name.value.trim();
      if (description.value.trim() !== (room.description || "")) body.description = description.value.trim();
      const newTags = tagChanges(room);
      if (newTags) body.tags = newTags;
      if (!capField.hidden && cap.value && Number(cap.value) !== room.member_cap) body.member_cap = Number(cap.value);
      if (removeCode.input.checked) body.code = "";
      else if (code.value) body.code = code.value;
      if (coverFile.files.length) body.cover_url = (await panel.api.post("/api/images", coverFile.files[0])).url;
      else if (removeCover.input.checked) body.cover_url = "";
      return body;
    }

    const save = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.common.save"));
    const form = h(
      "form",
      { class: "ht-form" },
      field(t("host.info.name"), name),
      field(t("host.info.description"), description),
      field(t("host.info.tags"), tags, t("host.info.tags_hint")),
      field(t("host.info.new_tag_category"), category),
      h("fieldset", { class: "ht-group" },
        h("legend", null, t("host.info.cover")),
        coverShown,
        field(t("host.info.upload_cover"), coverFile),
        removeCover,
      ),
      capField,
      h("fieldset", { class: "ht-group" },
        h("legend", null, t("host.info.code")),
        codeState,
        field(t("host.info.new_code"), code, t("host.info.new_code_hint")),
        removeCode,
      ),
      h("div", { class: "ht-actions" }, save),
      error,
      status,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(save, error, async () => {
        if (!(await panel.patchRoom(await changes(), status))) return;
        code.value = "";
        coverFile.value = "";
        removeCode.input.checked = false;
        removeCover.input.checked = false;
      });
    });

    panel.on("room", load);
    load(panel.room);
    return form;
  },
};

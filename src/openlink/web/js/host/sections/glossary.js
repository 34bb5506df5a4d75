// The translation glossary: names and terms that must not be translated, or that have a
// fixed rendering per language. Saving replaces the whole list (PUT .../glossary).

import { t } from "../../i18n.js";
import { act, button, errorLine, fill, flash, h, statusLine, uid } from "../dom.js";

const MAX_TERMS = 200;

export default {
  id: "glossary",
  visible: (panel) => panel.can("settings"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const rows = h("ol", { class: "ht-glossary", "aria-label": t("host.glossary.terms") });
    const languagesId = uid("langs");
    const languages = h("datalist", { id: languagesId });

    function rendering(lang = "", text = "") {
      const langInput = h("input", {
        type: "text",
        class: "ht-lang",
        name: "lang",
        value: lang,
        maxlength: 35,
        list: languagesId,
        autocomplete: "off",
        spellcheck: "false",
        "aria-label": t("host.glossary.language"),
        placeholder: "ko",
      });
      const textInput = h("input", {
        type: "text",
        name: "rendering",
        value: text,
        maxlength: 100,
        autocomplete: "off",
        "aria-label": t("host.glossary.rendering"),
      });
      const el = h("div", { class: "ht-rendering" }, langInput, textInput);
      el.append(button("×", () => el.remove(), { "aria-label": t("host.glossary.remove_rendering"), kind: "icon" }));
      el.read = () => [langInput.value.trim(), textInput.value.trim()];
      return el;
    }

    function termRow(term = "", translations = {}) {
      const termInput = h("input", {
        type: "text",
        name: "term",
        value: term,
        maxlength: 100,
        autocomplete: "off",
        "aria-label": t("host.glossary.term"),
        placeholder: t("host.glossary.term_placeholder"),
      });
      const renderings = h("div", { class: "ht-renderings" }, Object.entries(translations).map(([l, text]) => rendering(l, text)));
      const li = h(
        "li",
        { class: "ht-card ht-term" },
        termInput,
        renderings,
        h(
          "div",
          { class: "ht-actions" },
          button(t("host.glossary.add_rendering"), () => {
            const r = rendering();
            renderings.append(r);
            r.querySelector("input").focus();
          }),
          button(t("host.glossary.remove_term"), () => li.remove()),
        ),
      );
      li.read = () => {
        const translations = {};
        for (const r of renderings.children) {
          const [lang, text] = r.read();
          if (lang && text) translations[lang] = text;
        }
        return { term: termInput.value.trim(), translations };
      };
      return li;
    }

    function draw(terms) {
      fill(rows, terms.map((term) => termRow(term.term, term.translations || {})));
    }

    async function load() {
      const [glossary, engine] = await Promise.all([
        panel.api.get(panel.path("glossary")),
        panel.api.get("/api/translation").catch(() => ({ languages: [] })),
      ]);
      fill(languages, (engine.languages || []).map((l) => h("option", { value: l })));
      draw(glossary.terms);
      if (glossary.terms.length === 0) rows.append(termRow());
    }

    const add = button(t("host.glossary.add_term"), () => {
      if (rows.children.length >= MAX_TERMS) return;
      const row = termRow();
      rows.append(row);
      row.querySelector("input").focus();
    });
    const save = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.common.save"));
    const form = h(
      "form",
      { class: "ht-form" },
      h("p", { class: "ht-hint" }, t("host.glossary.explain")),
      languages,
      rows,
      h("div", { class: "ht-actions" }, add, save),
      error,
      status,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(save, error, async () => {
        const terms = [...rows.children].map((li) => li.read()).filter((term) => term.term);
        const saved = await panel.api.put(panel.path("glossary"), { terms });
        draw(saved.terms);
        flash(status, t("host.glossary.saved", { n: saved.terms.length }));
      });
    });

    form.refresh = () => act(null, error, load);
    form.refresh();
    return form;
  },
};

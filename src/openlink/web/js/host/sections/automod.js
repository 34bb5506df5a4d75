// Automod rules: the list (switch a rule on or off, delete it) and a form to add one:
// keywords or RE2 patterns, one per line; block, hide or time out; who is exempt.

import { t } from "../../i18n.js";
import { act, button, checkbox, errorLine, field, fill, flash, h, select, statusLine } from "../dom.js";
import { confirmDialog, TIMEOUT_CHOICES } from "../dialogs.js";
import { durationOptions } from "../format.js";

const ACTIONS = ["hide", "block", "timeout"];

export default {
  id: "automod",
  refreshOnShow: true, // a list: show what changed while another tab was open
  visible: (panel) => panel.can("automod"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const list = h("ul", { class: "ht-list", "aria-label": t("host.automod.list") });

    function describe(rule) {
      const action =
        rule.action === "timeout"
          ? t("host.automod.action_timeout_for", { duration: panel.duration(rule.timeout_s || 0) })
          : t(`host.automod.action_${rule.action}`);
      const exempt = rule.exempt_roles.length
        ? t("host.automod.exempt_list", { roles: rule.exempt_roles.map((r) => t(`host.role.${r}`)).join(", ") })
        : t("host.automod.exempt_none");
      return `${t(`host.automod.kind_${rule.kind}`)} · ${action} · ${exempt}`;
    }

    function row(rule) {
      const rowError = errorLine();
      const enabled = checkbox(t("host.automod.enabled"), rule.enabled, { name: "enabled" });
      enabled.input.addEventListener("change", () =>
        act(enabled.input, rowError, async () => {
          await panel.api.patch(panel.path("automod", "rules", rule.id), { enabled: enabled.input.checked });
          return true;
        }).then((ok) => {
          if (ok === undefined) enabled.input.checked = !enabled.input.checked;
        }),
      );
      const remove = button(
        t("host.common.delete"),
        () =>
          act(remove, rowError, async () => {
            const done = await confirmDialog(t("host.automod.delete_title"), t("host.automod.delete_confirm", { name: rule.name }), {
              label: t("host.common.delete"),
              run: () => panel.api.del(panel.path("automod", "rules", rule.id)),
            });
            if (done) await load();
          }),
        { kind: "danger" },
      );
      return h(
        "li",
        { class: "ht-item", "data-rule": rule.id },
        h("div", { class: "ht-item-main" }, h("strong", null, rule.name)),
        h("small", null, describe(rule)),
        h("p", { class: "ht-patterns" }, rule.patterns.join("\n")),
        h("div", { class: "ht-actions" }, enabled, remove),
        rowError,
      );
    }

    async function load() {
      const data = await panel.api.get(panel.path("automod", "rules"));
      fill(list, data.rules.length ? data.rules.map(row) : [h("li", { class: "ht-empty" }, t("host.automod.none"))]);
    }

    // The form to add a rule.
    const name = h("input", { type: "text", name: "name", maxlength: 80, required: true, autocomplete: "off" });
    const kind = select(
      ["keyword", "regex"].map((k) => ({ value: k, label: t(`host.automod.kind_${k}`) })),
      "keyword",
      { name: "kind" },
    );
    const patterns = h("textarea", { name: "patterns", rows: 4, required: true, spellcheck: "false" });
    const action = select(
      ACTIONS.map((a) => ({ value: a, label: t(`host.automod.action_${a}`) })),
      "hide",
      { name: "action" },
    );
    const timeout = select(durationOptions(TIMEOUT_CHOICES), 600, { name: "timeout_s" });
    const timeoutField = field(t("host.automod.timeout_s"), timeout);
    const exemptHost = checkbox(t("host.role.host"), true, { name: "exempt", value: "host" });
    const exemptCohost = checkbox(t("host.role.cohost"), true, { name: "exempt", value: "cohost" });
    const patternHint = h("small", { class: "ht-hint" });
    const sync = () => {
      timeoutField.hidden = action.value !== "timeout";
      patternHint.textContent = t(kind.value === "regex" ? "host.automod.regex_hint" : "host.automod.keyword_hint");
    };
    action.addEventListener("change", sync);
    kind.addEventListener("change", sync);
    sync();

    const add = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.automod.add"));
    const formError = errorLine();
    const form = h(
      "form",
      { class: "ht-form" },
      field(t("host.automod.name"), name, t("host.automod.name_hint")),
      field(t("host.automod.kind"), kind),
      field(t("host.automod.patterns"), patterns),
      patternHint,
      field(t("host.automod.action"), action),
      timeoutField,
      h("fieldset", { class: "ht-rights" }, h("legend", null, t("host.automod.exempt")), exemptHost, exemptCohost),
      h("div", { class: "ht-actions" }, add),
      formError,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(add, formError, async () => {
        const body = {
          name: name.value.trim(),
          kind: kind.value,
          patterns: patterns.value.split("\n").map((p) => p.trim()).filter(Boolean),
          action: action.value,
          timeout_s: action.value === "timeout" ? Number(timeout.value) : null,
          exempt_roles: [exemptHost, exemptCohost].filter((b) => b.input.checked).map((b) => b.input.value),
        };
        const rule = await panel.api.post(panel.path("automod", "rules"), body);
        name.value = "";
        patterns.value = "";
        flash(status, t("host.automod.added", { name: rule.name }));
        await load();
      });
    });

    const el = h(
      "div",
      null,
      h("p", { class: "ht-hint" }, t("host.automod.explain")),
      status,
      error,
      list,
      h("h4", null, t("host.automod.add_title")),
      form,
    );
    el.refresh = () => act(null, error, load);
    el.refresh();
    return el;
  },
};

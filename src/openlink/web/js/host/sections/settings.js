// Room settings: slow mode, probation, join approval, entry conditions, preview and
// translation. Saving sends only what changed (PATCH /api/rooms/{id}).

import { t } from "../../i18n.js";
import { act, checkbox, errorLine, field, h, select, setOptions, statusLine } from "../dom.js";
import { durationOptions } from "../format.js";

const SLOW_MODE = [0, 10, 30, 60, 300, 900, 3600, 21600];
const PROBATION = [0, 300, 600, 1800, 3600, 86400, 604800, 2592000];
const FLAGS = ["join_approval", "verified_only", "preview_enabled", "translation_enabled"];

export default {
  id: "settings",
  visible: (panel) => panel.can("settings"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const slow = h("select", { name: "slow_mode_s" });
    const probation = h("select", { name: "probation_s" });
    const age = h("input", { type: "number", name: "min_account_age_days", min: 0, max: 3650, step: 1, inputmode: "numeric" });
    const flags = Object.fromEntries(FLAGS.map((name) => [name, checkbox(t(`host.settings.${name}`), false, { name })]));

    // What the form last took from the server: a room update redraws only the fields the
    // server changed, so edits in progress survive an unrelated update (a new pin).
    let shown = {};
    function load(room) {
      const off = t("host.settings.off");
      if (room.slow_mode_s !== shown.slow_mode_s) {
        setOptions(slow, durationOptions(SLOW_MODE, room.slow_mode_s, { offLabel: off }), room.slow_mode_s ?? 0);
      }
      if (room.probation_s !== shown.probation_s) {
        setOptions(probation, durationOptions(PROBATION, room.probation_s, { offLabel: off }), room.probation_s ?? 0);
      }
      if (room.min_account_age_days !== shown.min_account_age_days) age.value = String(room.min_account_age_days ?? 0);
      for (const name of FLAGS) {
        if (room[name] !== shown[name]) flags[name].input.checked = Boolean(room[name]);
      }
      shown = { ...room };
    }

    function changes() {
      const room = panel.room;
      const wanted = {
        slow_mode_s: Number(slow.value),
        probation_s: Number(probation.value),
        min_account_age_days: Number(age.value || 0),
      };
      for (const name of FLAGS) wanted[name] = flags[name].input.checked;
      return Object.fromEntries(Object.entries(wanted).filter(([k, v]) => room[k] !== v));
    }

    const save = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.common.save"));
    const form = h(
      "form",
      { class: "ht-form" },
      field(t("host.settings.slow_mode"), slow, t("host.settings.slow_mode_hint")),
      field(t("host.settings.probation"), probation, t("host.settings.probation_hint")),
      flags.join_approval,
      field(t("host.settings.min_account_age_days"), age, t("host.settings.min_account_age_hint")),
      flags.verified_only,
      flags.preview_enabled,
      flags.translation_enabled,
      h("div", { class: "ht-actions" }, save),
      error,
      status,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(save, error, () => panel.patchRoom(changes(), status));
    });

    panel.on("room", load);
    load(panel.room);
    return form;
  },
};

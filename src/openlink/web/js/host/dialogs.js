// Modal dialogs (<dialog>, so focus is trapped and Escape cancels) for actions that need
// a duration, a reason or a second thought: time-out, kick, ban, confirmations. They are
// shared by the panel and by the message menu (messageActions).

import { t } from "../i18n.js";
import { durationOptions } from "./format.js";
import { act, button, checkbox, errorLine, field, h, select } from "./dom.js";

export const TIMEOUT_CHOICES = [60, 300, 600, 3600, 86400, 604800, 2419200];
export const BAN_CHOICES = [3600, 86400, 604800, 2592000, 31536000];

/**
 * Show a dialog; resolves to what submit() returned, or null when cancelled.
 * build(body) fills the body and returns {submit, submitLabel, danger}. A failing
 * submit keeps the dialog open with the server's message under the form.
 */
export function openDialog(title, build) {
  return new Promise((resolve) => {
    const titleId = `ht-dlg-${Math.random().toString(36).slice(2)}`;
    const body = h("div", { class: "ht-dialog-body" });
    const error = errorLine();
    const spec = build(body);
    const ok = h(
      "button",
      { type: "submit", class: spec.danger ? "ht-btn ht-btn-danger" : "ht-btn ht-btn-primary" },
      spec.submitLabel || t("host.common.ok"),
    );
    const cancel = spec.alert ? null : button(t("host.common.cancel"), () => dialog.close("cancel"));
    const form = h(
      "form",
      { class: "ht-dialog-form", method: "dialog" },
      h("h3", { id: titleId, class: "ht-dialog-title" }, title),
      body,
      error,
      h("div", { class: "ht-actions" }, cancel, ok),
    );
    const dialog = h("dialog", { class: "ht-dialog", "aria-labelledby": titleId }, form);
    let result = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = await act(ok, error, async () => {
        const answer = await spec.submit();
        // A 204 answers null: done all the same (null is what "cancelled" resolves to).
        return answer === undefined || answer === null ? true : answer;
      });
      if (value !== undefined) {
        result = value;
        dialog.close("ok");
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = body.querySelector("input, select, textarea");
    (first || ok).focus();
  });
}

/** Tell the user something (a failure outside any form); resolves when dismissed. */
export function alertDialog(title, text) {
  return openDialog(title, (body) => {
    body.append(h("p", null, text));
    return { alert: true, submitLabel: t("host.common.ok"), submit: () => true };
  });
}

/** Yes or no; resolves true only when confirmed (and run() succeeded, if given). */
export async function confirmDialog(title, text, { label, danger = true, run } = {}) {
  const answer = await openDialog(title, (body) => {
    body.append(h("p", null, text));
    return { submitLabel: label || t("host.common.confirm"), danger, submit: run || (() => true) };
  });
  return answer !== null;
}

/** Time a member out. Resolves to the updated Member, or null. */
export function timeoutDialog(panel, member) {
  return openDialog(t("host.members.timeout_title", { nickname: member.nickname }), (body) => {
    const duration = select(durationOptions(TIMEOUT_CHOICES), 600, { name: "duration" });
    body.append(field(t("host.members.duration"), duration));
    return {
      submitLabel: t("host.members.timeout"),
      submit: async () => {
        const updated = await panel.api.post(panel.path("members", member.id, "timeout"), {
          duration_s: Number(duration.value),
        });
        panel.updateMember(updated);
        return updated;
      },
    };
  });
}

/** Kick a member, or ban them (kick with ban). Resolves true when done, else null. */
export function kickDialog(panel, member, { ban = false } = {}) {
  const key = ban ? "ban" : "kick";
  return openDialog(t(`host.members.${key}_title`, { nickname: member.nickname }), (body) => {
    const length = select(durationOptions(BAN_CHOICES, undefined, { forever: t("host.members.forever") }), 86400, {
      name: "ban_s",
    });
    const lengthField = field(t("host.members.ban_length"), length);
    const banBox = checkbox(t("host.members.also_ban"), ban, { name: "ban" });
    const reason = h("input", { type: "text", name: "reason", maxlength: 500, autocomplete: "off" });
    const sync = () => {
      lengthField.hidden = !banBox.input.checked;
    };
    banBox.input.addEventListener("change", sync);
    sync();
    body.append(
      h("p", null, t(ban ? "host.members.ban_explain" : "host.members.kick_explain")),
      banBox,
      lengthField,
      field(t("host.members.reason"), reason, t("host.members.reason_hint")),
    );
    return {
      submitLabel: t(`host.members.${key}`),
      danger: true,
      submit: async () => {
        const banning = banBox.input.checked;
        await panel.api.post(panel.path("members", member.id, "kick"), {
          ban: banning,
          ban_s: banning && length.value !== "" ? Number(length.value) : null,
          reason: reason.value.trim() || null,
        });
        panel.dropMember(member.id);
        panel.emit("bans");
        return true;
      },
    };
  });
}

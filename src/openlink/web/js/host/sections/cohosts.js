// Co-hosts (host only): appoint one with chosen rights, change a co-host's rights, dismiss
// them; hand hosting over to another member.

import { t } from "../../i18n.js";
import { act, button, checkbox, errorLine, field, fill, flash, h, setOptions, statusLine } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { RIGHTS } from "../panel.js";

// The hosting guide's advice: start new co-hosts with the rights that are easy to undo.
const STARTER_RIGHTS = ["hide", "timeout"];

function rightsBoxes(panel, chosen, legend) {
  const boxes = RIGHTS.map((right) => {
    const box = checkbox(t(`host.right.${right}`), chosen.includes(right), { name: "rights", value: right });
    box.title = t(`host.right_hint.${right}`);
    return box;
  });
  const set = h("fieldset", { class: "ht-rights" }, h("legend", null, legend), boxes);
  set.read = () => boxes.filter((b) => b.input.checked).map((b) => b.input.value);
  return set;
}

/** A filter box and a <select> of members matching it (at most 200 shown). */
function memberPicker(panel, label, accept) {
  const filter = h("input", { type: "search", autocomplete: "off", "aria-label": t("host.cohosts.find") });
  const choice = h("select", { name: "member" });
  function draw() {
    const needle = filter.value.trim().toLowerCase();
    const found = (panel.members || [])
      .filter(accept)
      .filter((m) => !needle || m.nickname.toLowerCase().includes(needle))
      .slice(0, 200);
    const options = found.map((m) => ({ value: m.id, label: m.nickname }));
    setOptions(choice, [{ value: "", label: t("host.cohosts.pick") }, ...options], choice.value);
  }
  filter.addEventListener("input", draw);
  panel.on("members", draw);
  draw();
  const el = h("div", { class: "ht-picker" }, field(t("host.cohosts.find"), filter), field(label, choice));
  el.member = () => (panel.members || []).find((m) => m.id === choice.value);
  return el;
}

export default {
  id: "cohosts",
  visible: (panel) => panel.isHost(),
  render(panel) {
    const status = statusLine();
    const error = errorLine();
    const list = h("div", { class: "ht-cohosts" });

    function cohostCard(member) {
      const rights = rightsBoxes(panel, member.rights || [], member.nickname);
      const cardError = errorLine();
      const save = button(
        t("host.cohosts.save_rights"),
        () =>
          act(save, cardError, async () => {
            panel.updateMember(await panel.api.put(panel.path("cohosts", member.id), { rights: rights.read() }));
            flash(status, t("host.cohosts.saved", { nickname: member.nickname }));
          }),
        { kind: "primary" },
      );
      const dismiss = button(t("host.cohosts.dismiss"), () =>
        act(dismiss, cardError, async () => {
          panel.updateMember(await panel.api.del(panel.path("cohosts", member.id)));
          flash(status, t("host.cohosts.dismissed", { nickname: member.nickname }));
        }),
      );
      return h("div", { class: "ht-card", "data-member": member.id }, rights, h("div", { class: "ht-actions" }, save, dismiss), cardError);
    }

    // Redraw only when the co-hosts or their rights changed: a newcomer joining the room
    // must not wipe rights being ticked.
    let drawn = null;
    function draw() {
      const cohosts = (panel.members || []).filter((m) => m.role === "cohost");
      const signature = JSON.stringify(cohosts.map((m) => [m.id, m.nickname, m.rights]));
      if (signature === drawn) return;
      drawn = signature;
      fill(list, cohosts.length ? cohosts.map(cohostCard) : [h("p", { class: "ht-empty" }, t("host.cohosts.none"))]);
    }

    // Appoint.
    const candidate = memberPicker(panel, t("host.cohosts.member"), (m) => m.role === "member");
    const newRights = rightsBoxes(panel, STARTER_RIGHTS, t("host.cohosts.rights"));
    const appointError = errorLine();
    const appoint = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.cohosts.appoint"));
    const appointForm = h("form", { class: "ht-form" }, candidate, newRights, h("div", { class: "ht-actions" }, appoint), appointError);
    appointForm.addEventListener("submit", (event) => {
      event.preventDefault();
      act(appoint, appointError, async () => {
        const member = candidate.member();
        if (!member) throw new Error(t("host.cohosts.pick_first"));
        panel.updateMember(await panel.api.put(panel.path("cohosts", member.id), { rights: newRights.read() }));
        flash(status, t("host.cohosts.appointed", { nickname: member.nickname }));
      });
    });

    // Hand over.
    const heir = memberPicker(panel, t("host.cohosts.new_host"), (m) => m.role !== "host");
    const handError = errorLine();
    const handBtn = h("button", { type: "submit", class: "ht-btn ht-btn-danger" }, t("host.cohosts.hand_over"));
    const handForm = h(
      "form",
      { class: "ht-form" },
      h("p", { class: "ht-hint" }, t("host.cohosts.hand_over_explain")),
      heir,
      h("div", { class: "ht-actions" }, handBtn),
      handError,
    );
    handForm.addEventListener("submit", (event) => {
      event.preventDefault();
      act(handBtn, handError, async () => {
        const member = heir.member();
        if (!member) throw new Error(t("host.cohosts.pick_first"));
        const done = await confirmDialog(
          t("host.cohosts.hand_over"),
          t("host.cohosts.hand_over_confirm", { nickname: member.nickname }),
          { label: t("host.cohosts.hand_over"), run: () => panel.api.post(panel.path("host"), { member_id: member.id }) },
        );
        if (!done) return;
        await panel.loadMembers({ reload: true });
        await panel.roomWritten(); // my role changes: the panel redraws its sections
      });
    });

    panel.on("members", draw);
    const el = h(
      "div",
      null,
      status,
      error,
      h("h4", null, t("host.cohosts.current")),
      list,
      h("h4", null, t("host.cohosts.appoint_title")),
      appointForm,
      h("h4", null, t("host.cohosts.hand_over_title")),
      handForm,
    );
    el.refresh = () => act(null, error, () => panel.loadMembers({ reload: true }));
    el.refresh();
    return el;
  },
};

// The host bot: a welcome for newcomers, answers to keywords, scheduled notices.

import { t } from "../../i18n.js";
import { act, button, errorLine, field, fill, flash, h, select, statusLine } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { durationOptions, fromLocalInput } from "../format.js";

const INTERVALS = [300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2592000];
const MAX_ANSWERS = 20;

function answerRow(entry = { keywords: [], answer: "" }) {
  const keywords = h("input", {
    type: "text",
    name: "keywords",
    value: entry.keywords.join(", "),
    autocomplete: "off",
  });
  const answer = h("textarea", { name: "answer", rows: 2, maxlength: 1000 }, entry.answer);
  const li = h(
    "li",
    { class: "ht-card" },
    field(t("host.bot.keywords"), keywords, t("host.bot.keywords_hint")),
    field(t("host.bot.answer"), answer),
    h("div", { class: "ht-actions" }, button(t("host.bot.remove_answer"), () => li.remove())),
  );
  li.read = () => ({
    keywords: keywords.value.split(/[,、，]/).map((k) => k.trim()).filter(Boolean),
    answer: answer.value.trim(),
  });
  return li;
}

function botForm(panel, status) {
  const welcome = h("textarea", { name: "welcome", rows: 3, maxlength: 1000 });
  const answers = h("ol", { class: "ht-answers", "aria-label": t("host.bot.answers") });
  const error = errorLine();
  const add = button(t("host.bot.add_answer"), () => {
    if (answers.children.length >= MAX_ANSWERS) return;
    const row = answerRow();
    answers.append(row);
    row.querySelector("input").focus();
  });
  const save = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.common.save"));

  function draw(bot) {
    welcome.value = bot.welcome || "";
    fill(answers, bot.answers.map((a) => answerRow(a)));
  }

  const form = h(
    "form",
    { class: "ht-form" },
    field(t("host.bot.welcome"), welcome, t("host.bot.welcome_hint")),
    h("h5", null, t("host.bot.answers")),
    answers,
    h("div", { class: "ht-actions" }, add, save),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(save, error, async () => {
      const body = {
        welcome: welcome.value.trim() || null,
        answers: [...answers.children].map((li) => li.read()).filter((a) => a.keywords.length || a.answer),
      };
      draw(await panel.api.put(panel.path("bot"), body));
      flash(status, t("host.common.saved"));
    });
  });
  form.refresh = () => act(null, error, async () => draw(await panel.api.get(panel.path("bot"))));
  return form;
}

function schedules(panel, status) {
  const list = h("ul", { class: "ht-list", "aria-label": t("host.bot.schedules") });
  const error = errorLine();

  function row(schedule) {
    const rowError = errorLine();
    const remove = button(
      t("host.common.delete"),
      () =>
        act(remove, rowError, async () => {
          const done = await confirmDialog(t("host.bot.delete_schedule"), schedule.body, {
            label: t("host.common.delete"),
            run: () => panel.api.del(panel.path("bot", "schedules", schedule.id)),
          });
          if (done) await load();
        }),
      { kind: "danger" },
    );
    return h(
      "li",
      { class: "ht-item", "data-schedule": schedule.id },
      h("p", { class: "ht-note" }, schedule.body),
      h(
        "small",
        null,
        t("host.bot.every", { interval: panel.duration(schedule.interval_s), time: panel.time(schedule.next_at) }),
      ),
      h("div", { class: "ht-actions" }, remove),
      rowError,
    );
  }

  async function load() {
    const data = await panel.api.get(panel.path("bot", "schedules"));
    fill(list, data.schedules.length ? data.schedules.map(row) : [h("li", { class: "ht-empty" }, t("host.bot.no_schedules"))]);
  }

  const body = h("textarea", { name: "body", rows: 2, maxlength: 1000, required: true });
  const interval = select(durationOptions(INTERVALS), 86400, { name: "interval_s" });
  const firstAt = h("input", { type: "datetime-local", name: "first_at" });
  const addBtn = h("button", { type: "submit", class: "ht-btn ht-btn-primary" }, t("host.bot.add_schedule"));
  const formError = errorLine();
  const form = h(
    "form",
    { class: "ht-form" },
    field(t("host.bot.schedule_body"), body),
    field(t("host.bot.interval"), interval),
    field(t("host.bot.first_at"), firstAt, t("host.bot.first_at_hint")),
    h("div", { class: "ht-actions" }, addBtn),
    formError,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(addBtn, formError, async () => {
      const payload = { body: body.value, interval_s: Number(interval.value) };
      const first = fromLocalInput(firstAt.value);
      if (first) payload.first_at = first;
      await panel.api.post(panel.path("bot", "schedules"), payload);
      body.value = "";
      firstAt.value = "";
      flash(status, t("host.bot.schedule_added"));
      await load();
    });
  });
  const el = h("div", null, error, list, h("h5", null, t("host.bot.add_schedule")), form);
  el.refresh = () => act(null, error, load);
  return el;
}

export default {
  id: "bot",
  visible: (panel) => panel.can("settings") && (!panel.room.kind || panel.room.kind === "group"),
  render(panel) {
    const status = statusLine();
    const config = botForm(panel, status);
    const timed = schedules(panel, status);
    const el = h("div", null, status, config, h("h4", null, t("host.bot.schedules")), timed);
    el.refresh = () => Promise.all([config.refresh(), timed.refresh()]);
    el.refresh();
    return el;
  },
};

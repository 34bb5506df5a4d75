// The message box: Enter sends (Shift+Enter: new line; never while an IME is composing),
// @ opens member suggestions, a reply or edit shows above it, typing is signalled; the
// emoji button opens the picker, which puts its emoji at the caret.

import { h, icon, replaceChildren } from "../dom.js";
import { toggleEmojiPicker } from "../emoji.js";
import { t } from "../i18n.js";
import { MIN_MS, VoiceRecorder, recordingSupported } from "../media/recorder.js";
import { clock } from "../media/view.js";
import { avatar, errorText, toast } from "../ui.js";
import { draftChip } from "./chat/lines.js";
import { memberName } from "./message.js";

const TYPING_EVERY_MS = 3000;
const HOLD_MS = 400; // a press longer than this records while held; shorter: tap to start
const MAX_FILES = 10;

export function createComposer({ app, rs, onSend, onEdit }) {
  let reply = null;
  let editing = null;
  let lastTyping = 0;
  const chosen = new Map(); // "@nickname" → member id
  let suggestions = [];
  let active = 0;

  const contextBar = h("div", { class: "composer-context", hidden: true });
  const suggest = h("ul", { class: "mention-suggest", role: "listbox", id: `mentions-${rs.id}`, "aria-label": t("chat.mention_suggestions"), hidden: true });
  const input = h("textarea", {
    class: "composer-input",
    rows: "1",
    maxlength: "4096",
    "aria-label": t("chat.message_input"),
    placeholder: t("chat.placeholder"),
    "aria-autocomplete": "list",
    "aria-controls": suggest.id,
    "data-testid": "composer",
  });
  const sendBtn = h("button", { type: "submit", class: "send-btn", "aria-label": t("chat.send") }, icon("send"));
  const emojiBtn = h("button", {
    type: "button",
    class: "icon-btn emoji-toggle",
    "aria-label": t("emoji.button"),
    "aria-haspopup": "dialog",
    "aria-expanded": "false",
    "data-testid": "emoji-button",
    onclick: () => toggleEmojiPicker(emojiBtn, insertAtCaret),
  }, icon("smile"));
  const uploads = app.state.uploads;
  const picker = h("input", { type: "file", multiple: true, hidden: true, "data-testid": "file-input" });
  picker.addEventListener("change", () => {
    addFiles([...picker.files]);
    picker.value = "";
  });
  const attachBtn = h("button", {
    type: "button",
    class: "icon-btn attach-btn",
    "aria-label": t("media.attach"),
    "data-testid": "attach-button",
    onclick: () => picker.click(),
  }, icon("clip"));
  const micBtn = h("button", {
    type: "button",
    class: "icon-btn mic-btn",
    "aria-label": t("media.record"),
    "data-testid": "record-button",
    hidden: !recordingSupported(),
  }, icon("mic"));
  const tray = h("div", { class: "composer-tray", "data-testid": "composer-tray", hidden: true });
  const recTime = h("span", { class: "rec-time" }, "0:00");
  const recBar = h("div", { class: "recorder", role: "group", "aria-label": t("media.recording"), hidden: true },
    h("span", { class: "rec-dot", "aria-hidden": "true" }),
    h("span", { class: "rec-label" }, t("media.recording")),
    recTime,
    h("button", { type: "button", class: "link-btn rec-cancel", "data-testid": "record-cancel", onclick: () => stopRecording(false) }, t("common.cancel")),
    h("button", { type: "button", class: "send-btn rec-send", "data-testid": "record-send", "aria-label": t("media.send_voice"), onclick: () => stopRecording(true) }, icon("send")),
  );
  const status = h("p", { class: "composer-status", hidden: true });
  const row = h("div", { class: "composer-row" }, attachBtn, input, emojiBtn, micBtn, sendBtn);
  const form = h("form", { class: "composer", "aria-label": t("chat.composer") },
    contextBar, suggest, status, tray, recBar, row, picker,
  );

  /** Files picked, pasted or dropped: each starts uploading at once. */
  function addFiles(files) {
    if (input.disabled || !files.length) return;
    const room = uploads.draft(rs.id).length;
    if (room + files.length > MAX_FILES) toast(t("media.too_many", { n: MAX_FILES }), "error");
    for (const f of files.slice(0, Math.max(0, MAX_FILES - room))) uploads.add(rs.id, f);
    renderTray();
    input.focus();
  }

  function renderTray() {
    const items = uploads.draft(rs.id);
    tray.hidden = !items.length;
    replaceChildren(tray, ...items.map((item) => draftChip(item, uploads)));
  }

  // -- voice ------------------------------------------------------------------------
  const recorder = new VoiceRecorder();
  let pressedAt = 0;
  let ticker = null;

  async function startRecording() {
    if (recorder.recording || input.disabled) return false;
    try {
      await recorder.start();
    } catch (err) {
      toast(err && err.name === "NotAllowedError" ? t("media.mic_denied") : t("media.mic_failed"), "error");
      return false;
    }
    row.hidden = true;
    recBar.hidden = false;
    recTime.textContent = "0:00";
    ticker = setInterval(() => (recTime.textContent = clock(recorder.elapsedMs)), 250);
    return true;
  }

  async function stopRecording(keep) {
    clearInterval(ticker);
    recBar.hidden = true;
    row.hidden = false;
    const done = await recorder.stop(keep);
    if (keep && !done) toast(t("media.too_short"), "info");
    if (done) {
      const item = uploads.add(rs.id, done.file, { voice: true, durationMs: done.durationMs });
      uploads.send(rs.id, "", {}, [item]);
    }
    input.focus();
  }

  micBtn.addEventListener("pointerdown", async (e) => {
    if (e.button !== 0) return;
    pressedAt = performance.now();
    if (recorder.recording) return;
    await startRecording();
  });
  micBtn.addEventListener("pointerup", () => {
    // Held: let go to send. A tap leaves it recording, with cancel and send beside it.
    if (recorder.recording && performance.now() - pressedAt > HOLD_MS && recorder.elapsedMs > MIN_MS) stopRecording(true);
  });
  micBtn.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && !recorder.recording) {
      e.preventDefault();
      startRecording();
    }
  });
  recBar.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      stopRecording(false);
    }
  });

  input.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) {
      e.preventDefault();
      addFiles(files);
    }
  });

  function showContext() {
    contextBar.replaceChildren();
    const target = editing || reply;
    if (!target) {
      contextBar.hidden = true;
      return;
    }
    contextBar.hidden = false;
    const title = editing ? t("chat.editing") : t("chat.replying_to", { name: memberName(rs, target.member) });
    contextBar.append(
      icon(editing ? "edit" : "reply"),
      h("div", { class: "context-text" }, h("strong", null, title), h("span", null, (target.body || "").slice(0, 120))),
      h("button", { type: "button", class: "icon-btn sm", "aria-label": t("common.cancel"), onclick: () => cancel() }, icon("close")),
    );
  }

  function cancel() {
    if (editing) input.value = "";
    reply = null;
    editing = null;
    showContext();
    input.focus();
  }

  function mentionQuery() {
    const before = input.value.slice(0, input.selectionStart);
    const m = before.match(/(^|\s)@([^\s@]{0,40})$/u);
    return m ? m[2] : null;
  }

  function updateSuggestions() {
    const q = mentionQuery();
    if (q === null) {
      hideSuggestions();
      return;
    }
    const needle = q.toLocaleLowerCase();
    suggestions = [...rs.members.values()]
      .filter((m) => (!rs.me || m.id !== rs.me.id) && m.nickname.toLocaleLowerCase().includes(needle))
      .sort((a, b) => a.nickname.toLocaleLowerCase().indexOf(needle) - b.nickname.toLocaleLowerCase().indexOf(needle))
      .slice(0, 6);
    if (!suggestions.length) {
      hideSuggestions();
      return;
    }
    active = Math.min(active, suggestions.length - 1);
    replaceChildren(suggest, ...suggestions.map((m, i) =>
      h("li", {
        id: `${suggest.id}-${i}`,
        role: "option",
        class: `suggest-item ${i === active ? "active" : ""}`,
        "aria-selected": i === active ? "true" : "false",
        onpointerdown: (e) => {
          e.preventDefault();
          pick(i);
        },
      }, avatar(m.nickname, m.avatar_url, m.id, "sm"), h("span", null, m.nickname)),
    ));
    suggest.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", `${suggest.id}-${active}`);
  }

  function hideSuggestions() {
    suggest.hidden = true;
    suggestions = [];
    active = 0;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function pick(i) {
    const m = suggestions[i];
    if (!m) return;
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret).replace(/@([^\s@]{0,40})$/u, `@${m.nickname} `);
    input.value = before + input.value.slice(caret);
    input.selectionStart = input.selectionEnd = before.length;
    chosen.set(`@${m.nickname}`, m.id);
    hideSuggestions();
    input.focus();
  }

  function insertMention(member) {
    const tag = `@${member.nickname} `;
    chosen.set(`@${member.nickname}`, member.id);
    const v = input.value;
    input.value = v && !v.endsWith(" ") ? `${v} ${tag}` : v + tag;
    input.focus();
  }

  /** Put text where the caret was (replacing a selection), as if it had been typed. */
  function insertAtCaret(text) {
    if (input.disabled) return;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(text, start, end, "end");
    input.focus();
    input.dispatchEvent(new Event("input"));
  }

  async function submit() {
    const body = input.value.trim();
    const withFiles = !editing && uploads.draft(rs.id).length > 0;
    if ((!body && !withFiles) || input.disabled) return;
    if (editing) {
      const target = editing;
      try {
        await onEdit(target, body);
        input.value = "";
        editing = null;
        showContext();
      } catch {
        /* onEdit showed the error; the text stays for another try */
      }
      return;
    }
    const mentions = [...chosen].filter(([tag]) => body.includes(tag)).map(([, id]) => id);
    const opts = { reply_to: reply ? reply.seq : undefined, mentions };
    if (withFiles) {
      uploads.send(rs.id, body, opts);
      renderTray();
      onSend(null);
    } else {
      onSend(body, opts);
    }
    input.value = "";
    chosen.clear();
    reply = null;
    showContext();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
    input.focus();
  });
  input.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229) return;
    if (!suggest.hidden && suggestions.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length;
        updateSuggestions();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(active);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        hideSuggestions();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && (reply || editing)) {
      e.preventDefault();
      cancel();
    } else if (e.key === "ArrowUp" && !input.value && !editing) {
      // Up in an empty box edits my last message, as in most chat apps.
      const last = [...rs.seqs].reverse().map((s) => rs.msgs.get(s))
        .find((m) => m && m.kind === "text" && rs.me && m.member === rs.me.id && !m.deleted && !m.hidden);
      if (last) {
        e.preventDefault();
        setEdit(last);
      }
    }
  });
  input.addEventListener("input", () => {
    updateSuggestions();
    if (input.value.trim() && Date.now() - lastTyping > TYPING_EVERY_MS) {
      lastTyping = Date.now();
      app.state.typing(rs);
    }
  });
  input.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== input) hideSuggestions(); // still away, not back already
  }, 150));

  function setReply(msg) {
    editing = null;
    reply = msg;
    showContext();
    input.focus();
  }

  function setEdit(msg) {
    reply = null;
    editing = msg;
    input.value = msg.body || "";
    showContext();
    input.focus();
  }

  function setDisabled(reason) {
    input.disabled = Boolean(reason);
    sendBtn.disabled = Boolean(reason);
    emojiBtn.disabled = Boolean(reason);
    attachBtn.disabled = Boolean(reason);
    micBtn.disabled = Boolean(reason);
    status.hidden = !reason;
    status.textContent = reason || "";
  }

  /** Put text in the box to be changed and sent again (a refused send). */
  function setText(text) {
    input.value = text;
    input.focus();
  }

  return { el: form, input, setReply, setEdit, setDisabled, setText, insertMention, addFiles, renderTray, focus: () => input.focus() };
}

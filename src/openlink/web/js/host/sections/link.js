// The room's link: copy it, show its QR code, set its expiry and use limit, or make a new
// one (the old link stops working at once).

import { t } from "../../i18n.js";
import { act, button, errorLine, field, fill, flash, h, statusLine } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { fromLocalInput, toLocalInput } from "../format.js";

function absolute(link) {
  return new URL(link, window.location.origin).href;
}

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (or not a secure context): select it for the user instead.
    input.focus();
    input.select();
    return document.execCommand && document.execCommand("copy");
  }
}

export default {
  id: "link",
  visible: (panel) => panel.can("links"),
  render(panel) {
    const error = errorLine();
    const status = statusLine();
    const url = h("input", { type: "text", readonly: true, name: "link", class: "ht-link-url" });
    const copy = button(t("host.link.copy"), async () => {
      const done = await copyText(url.value, url);
      flash(status, t(done ? "host.link.copied" : "host.link.copy_manual"));
    });
    const qr = h("figure", { class: "ht-qr" });
    const facts = h("p", { class: "ht-hint" });
    const expires = h("input", { type: "datetime-local", name: "expires_at" });
    const maxUses = h("input", { type: "number", name: "max_uses", min: 1, max: 99999, step: 1, inputmode: "numeric" });

    let shown = {};
    function draw(room) {
      url.value = absolute(room.link);
      const code = room.link.split("/").pop();
      const src = `/l/${encodeURIComponent(code)}/qr.svg`;
      const current = qr.querySelector("img");
      if (!current || current.getAttribute("src") !== src) {
        fill(
          qr,
          h("img", { src, alt: t("host.link.qr_alt", { url: url.value }), width: 200, height: 200 }),
          h("figcaption", null, h("a", { href: `/l/${encodeURIComponent(code)}/qr.png`, download: `openlink-${code}.png` }, t("host.link.download_png"))),
        );
      }
      const parts = [t("host.link.uses", { n: room.link_uses ?? 0 })];
      if (room.link_max_uses) parts.push(t("host.link.max_uses_is", { n: room.link_max_uses }));
      if (room.link_expires_at) parts.push(t("host.link.expires_is", { time: panel.time(room.link_expires_at) }));
      facts.textContent = parts.join(" · ");
      // Only what the server changed: options being typed survive an unrelated update.
      if (room.link_expires_at !== shown.link_expires_at) expires.value = toLocalInput(room.link_expires_at);
      if (room.link_max_uses !== shown.link_max_uses) maxUses.value = room.link_max_uses ? String(room.link_max_uses) : "";
      shown = { ...room };
    }

    function options() {
      return { expires_at: fromLocalInput(expires.value), max_uses: maxUses.value ? Number(maxUses.value) : null };
    }

    const saveOptions = button(t("host.link.save_options"), () =>
      act(saveOptions, error, async () => {
        await panel.roomWritten(await panel.api.patch(panel.path("link"), options()));
        flash(status, t("host.common.saved"));
      }),
    );
    const regenerate = button(
      t("host.link.regenerate"),
      () =>
        act(regenerate, error, async () => {
          const done = await confirmDialog(t("host.link.regenerate"), t("host.link.regenerate_confirm"), {
            label: t("host.link.regenerate"),
            run: async () => panel.roomWritten(await panel.api.post(panel.path("link"), options())),
          });
          if (done) flash(status, t("host.link.regenerated"));
        }),
      { kind: "danger" },
    );

    panel.on("room", draw);
    draw(panel.room);
    return h(
      "div",
      null,
      h("div", { class: "ht-row" }, field(t("host.link.url"), url), copy),
      qr,
      facts,
      h("h4", null, t("host.link.options")),
      h(
        "div",
        { class: "ht-form" },
        field(t("host.link.expires"), expires, t("host.link.expires_hint")),
        field(t("host.link.max_uses"), maxUses, t("host.link.max_uses_hint")),
        h("div", { class: "ht-actions" }, saveOptions, regenerate),
      ),
      error,
      status,
    );
  },
};

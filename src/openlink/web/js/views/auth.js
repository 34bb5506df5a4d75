// Sign in and sign up, and the bar visitors see while they browse before either. The
// token goes to localStorage; `next` is where to go afterwards (the room a visitor was
// about to join, for example).

import { append, h } from "../dom.js";
import { UI_LANGUAGES, languageName, t } from "../i18n.js";
import { READING_LANGUAGES, errorText, field } from "../ui.js";
import { storage } from "../util.js";

// Device tokens by username: a sign-in from this browser with one is not held back by
// failed attempts somebody else made on the account from elsewhere.
const DEVICES_KEY = "openlink.devices";

function browserLanguage() {
  const tag = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return tag;
}

function languageSelect(value) {
  const options = [...READING_LANGUAGES];
  if (value && !options.includes(value)) options.unshift(value);
  return h("select", { name: "language" },
    options.map((code) => h("option", { value: code, selected: code === value }, `${languageName(code)} (${code})`)));
}

export function uiLanguageSwitch(app) {
  return h("div", { class: "ui-lang" },
    h("label", { for: "ui-lang-auth" }, t("settings.app_language")),
    h("select", {
      id: "ui-lang-auth",
      onchange: (e) => app.setUiLanguage(e.target.value || null),
    },
    h("option", { value: "", selected: !app.uiOverride() }, t("settings.automatic")),
    UI_LANGUAGES.map((code) => h("option", { value: code, selected: app.uiOverride() === code }, t(`lang.${code}`)))),
  );
}

/** The top bar of a visitor's pages: the brand, and the ways in that come back to `path`. */
export function visitorBar(app, path) {
  const back = path && path !== "/" ? `?next=${encodeURIComponent(path)}` : "";
  return h("header", { class: "visitor-bar" },
    h("a", { class: "brand", href: "#/" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◎"), "OpenLink"),
    h("nav", { class: "visitor-nav", "aria-label": t("nav.main") },
      h("a", { class: "btn btn-ghost", href: `#/signin${back}` }, t("auth.sign_in")),
      h("a", { class: "btn btn-primary", href: `#/signup${back}` }, t("auth.create_account")),
    ),
  );
}

/** Say that demo accounts exist, when the server was seeded with them (GET /api/instance). */
function demoNote(app, fill) {
  const note = h("div", { class: "demo-note", role: "note", hidden: true, "data-testid": "demo-note" });
  app.api.get("/api/instance", null, { auth: false }).then((info) => {
    if (!info || !info.demo) return;
    // Each account is {username, display_name, language}; the button fills in the username.
    const accounts = (Array.isArray(info.demo_accounts) ? info.demo_accounts : [])
      .map((a) => (typeof a === "string" ? a : a && a.username)).filter(Boolean);
    const pick = (name) => h("button", { type: "button", class: "link-btn", onclick: () => fill(name, info.demo_password || "") }, name);
    append(note, h("strong", null, t("auth.demo_title")), " ",
      accounts.length && info.demo_password
        ? [t("auth.demo_accounts", { password: info.demo_password }), " ", accounts.map((name, i) => [i ? ", " : "", pick(name)])]
        : t("auth.demo_generic"));
    note.hidden = false;
  }, () => {});
  return note;
}

export function renderAuth(app, mode, next) {
  const signup = mode === "signup";
  const error = h("p", { class: "form-error", role: "alert" });
  const username = h("input", { name: "username", autocomplete: "username", required: true, minlength: "3", maxlength: "32", autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", required: true, minlength: signup ? "8" : null, autocomplete: signup ? "new-password" : "current-password" });
  const display = h("input", { name: "display_name", required: true, maxlength: "40", autocomplete: "nickname" });
  const defaultLang = READING_LANGUAGES.includes(browserLanguage()) ? browserLanguage() : browserLanguage().split("-")[0];
  const language = languageSelect(defaultLang);
  const interests = h("input", { name: "interests", placeholder: t("auth.interests_placeholder") });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, signup ? t("auth.create_account") : t("auth.sign_in"));
  const nextQuery = next ? `?next=${encodeURIComponent(next)}` : "";

  const form = h("form", { class: "auth-form", "aria-labelledby": "auth-title", novalidate: false },
    h("h1", { id: "auth-title" }, signup ? t("auth.signup_title") : t("auth.signin_title")),
    h("p", { class: "auth-sub" }, t("auth.tagline")),
    field(t("auth.username"), username, signup ? t("auth.username_hint") : null),
    signup ? field(t("auth.display_name"), display, t("auth.display_name_hint")) : null,
    field(t("auth.password"), password, signup ? t("auth.password_hint") : null),
    signup ? field(t("auth.reading_language"), language, t("auth.reading_language_hint")) : null,
    signup ? field(t("auth.interests"), interests, t("auth.interests_hint")) : null,
    error,
    submit,
    h("p", { class: "auth-switch" },
      signup ? t("auth.have_account") : t("auth.no_account"), " ",
      h("a", { href: `#/${signup ? "signin" : "signup"}${nextQuery}` }, signup ? t("auth.sign_in") : t("auth.create_account")),
    ),
    h("p", { class: "auth-switch" }, h("a", { href: next ? `#${next}` : "#/discover", "data-testid": "browse" }, next ? t("auth.back_to_browsing") : t("auth.browse_first"))),
  );
  if (!signup) {
    form.insertBefore(demoNote(app, (name, secret) => {
      username.value = name;
      password.value = secret;
      submit.focus();
    }), form.querySelector(".auth-sub").nextSibling);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      let result;
      const devices = storage.get(DEVICES_KEY, {}) || {};
      if (signup) {
        result = await app.api.post("/api/accounts", {
          username: username.value.trim(),
          password: password.value,
          display_name: display.value.trim(),
          language: language.value,
          interests: interests.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean),
        }, { auth: false });
      } else {
        const name = username.value.trim().toLowerCase();
        result = await app.api.post("/api/sessions", { username: name, password: password.value, device: devices[name] || null }, { auth: false });
      }
      if (result.device) storage.set(DEVICES_KEY, { ...devices, [result.user.username]: result.device });
      await app.signIn(result.token, result.user, next);
    } catch (err) {
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  });

  return h("main", { class: "auth-page" },
    h("div", { class: "auth-card" },
      h("div", { class: "brand big" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◎"), "OpenLink"),
      form,
      uiLanguageSwitch(app),
    ),
  );
}

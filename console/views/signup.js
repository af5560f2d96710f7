// Sign-up: a person starts a business (its name, the number customers text, its time zone,
// optionally a Twilio Messaging Service) and becomes its admin. Checked here for quick
// feedback; the API checks again: its 422 details land on the fields, its 409 (the number is
// another business's, the email is on a team) in the error summary.
//
// Then, locally (dev sign-in), the new admin is signed in at once and lands on Settings; in
// AWS, Cognito has emailed them a temporary password and they sign in on the Hosted UI.

import { ApiError, createApi } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { zoneName } from "../lib/format.js";
import { apiFieldErrors, errorSlot, showErrors } from "../lib/forms.js";
import { store } from "../lib/store.js";

// The API's rules (domain/team.py NewBusiness): E.164, its email pattern, a Messaging Service SID.
const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$/;
const MESSAGING_SERVICE = /^MG[0-9a-fA-F]{32}$/;
const NOT_STARTED = "The business wasn't started.";

export function renderSignUp(container, { onSignedIn, onBack }) {
  document.title = "Start a business · Reschedule Dispatch";
  const heading = h("h1", { id: "signup-title", tabindex: "-1" }, "Start a business");
  const card = h("section", { class: "signin signup card", "aria-labelledby": "signup-title" },
    h("img", { src: "favicon.svg", alt: "", width: 48, height: 48, class: "signin-logo" }),
    heading,
    h("p", { class: "muted" },
      "Name your business and the number your customers text. You become its admin: you change its settings and invite your dispatchers."),
    signUpForm(finish),
    h("p", { class: "signin-alt" },
      "Already on a team? ",
      h("button", { type: "button", class: "button link", onclick: onBack }, "Sign in"),
    ),
  );
  container.replaceChildren(h("div", { class: "signin-page" }, card));
  heading.focus();

  /** After a 201: signed in at once locally; in AWS, what to do next. */
  async function finish(result, summary) {
    if (store.auth.mode === "dev") {
      try {
        await store.auth.signInDev(result.admin_email);
      } catch (failure) {
        summary.replaceChildren(
          h("p", { class: "error-summary-title" }, `${result.business.name} is started, but signing in failed.`),
          h("p", {}, `${failure.message} Sign in as ${result.admin_email}.`),
        );
        summary.hidden = false;
        summary.focus();
        return;
      }
      store.welcome = result.business.name;
      // Land on Settings (no hashchange: the session starts and routes there).
      window.history.replaceState(null, "", "#/settings");
      onSignedIn();
      return;
    }
    const done = h("h1", { id: "signup-done-title", tabindex: "-1" }, "Check your email");
    const signIn = h("button", { type: "button", class: "button primary block" }, "Sign in");
    signIn.addEventListener("click", async () => {
      signIn.disabled = true;
      try {
        await store.auth.startHostedSignIn();
      } catch {
        signIn.disabled = false;
      }
    });
    card.replaceChildren(
      h("img", { src: "favicon.svg", alt: "", width: 48, height: 48, class: "signin-logo" }),
      done,
      h("p", { class: "notice success", role: "status" },
        `${result.business.name} is started. Check ${result.admin_email} for your temporary password, then sign in.`),
      h("p", { class: "muted" },
        "On the sign-in page you choose your own password and set up an authenticator app."),
      signIn,
    );
    card.setAttribute("aria-labelledby", "signup-done-title");
    done.focus();
  }
}

function signUpForm(onStarted) {
  const fields = {};
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });

  const input = (key, id, label, props, hint) => {
    const element = h("input", { id, name: key, class: "text-input", ...props });
    const error = errorSlot(key, fields, element, label);
    element.setAttribute("aria-describedby", hint ? `${id}-hint ${error.id}` : error.id);
    return {
      element,
      field: h("div", { class: "field" },
        h("label", { for: id }, label),
        element,
        hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
        error,
      ),
    };
  };

  const name = input("name", "signup-name", "Business name",
    { type: "text", autocomplete: "organization", maxlength: 100, required: true },
    "As customers know it: it is in every text they get.");
  const phone = input("phone", "signup-phone", "Phone number",
    { type: "tel", autocomplete: "tel", inputmode: "tel", required: true, placeholder: "+13125550100" },
    "The number customers see and text, in E.164 form: a plus, the country code, then the number, no spaces (e.g. +13125550100).");
  const service = input("messaging_service_sid", "signup-messaging-service", "Twilio Messaging Service SID (optional)",
    { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 34, placeholder: "MG…" },
    "If your texts go through a Twilio Messaging Service, its SID (MG and 32 characters). Leave empty to text from the number.");
  const email = input("admin_email", "signup-admin-email", "Admin email",
    { type: "email", autocomplete: "email", required: true, maxlength: 254 },
    "Yours: you sign in with it, as the business's admin.");

  // Every zone the browser knows, the browser's own first chosen.
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  if (!zones.includes(browserZone)) zones = [browserZone, ...zones];
  const zone = h("select", { id: "signup-time-zone", name: "time_zone", class: "text-input", required: true },
    zones.map((id) => h("option", { value: id, selected: id === browserZone }, id.replace(/_/g, " "))),
  );
  const zoneHint = h("p", { class: "hint", id: "signup-time-zone-hint" });
  const zoneError = errorSlot("time_zone", fields, zone, "Time zone");
  zone.setAttribute("aria-describedby", `signup-time-zone-hint ${zoneError.id}`);
  const describeZone = () => {
    zoneHint.textContent = `Where the business works (${zoneName(zone.value)}): the console, openings and texts show times in it.`;
  };
  zone.addEventListener("change", describeZone);
  describeZone();

  const submit = h("button", { type: "submit", class: "button primary block" }, "Start the business");
  const form = h("form", { class: "stack", novalidate: true, "aria-labelledby": "signup-title" },
    summary,
    name.field,
    phone.field,
    service.field,
    h("div", { class: "field" },
      h("label", { for: "signup-time-zone" }, "Time zone"),
      zone,
      zoneHint,
      zoneError,
    ),
    email.field,
    submit,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { body, errors } = read();
    showErrors(errors, fields, summary, { title: NOT_STARTED });
    if (Object.keys(errors).length) return;
    submit.disabled = true;
    submit.textContent = "Starting…";
    try {
      // No token: the person has no account yet (the signed-in API would ask for one).
      const api = createApi({ baseUrl: store.config.apiBaseUrl, token: () => null, onUnauthorized: null });
      const result = await api.post("/api/signup", body);
      showErrors({}, fields, summary, { title: NOT_STARTED });
      await onStarted(result, summary);
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      showErrors(refusal(failure, body), fields, summary, { title: NOT_STARTED });
    } finally {
      submit.disabled = false;
      submit.textContent = "Start the business";
    }
  });
  return form;

  /** The form as the API's body, and the problems found before asking it. */
  function read() {
    const errors = {};
    // Spaces, dashes, dots and brackets are how people write numbers: not part of E.164.
    const number = phone.element.value.replace(/[\s().-]/g, "");
    const body = {
      name: name.element.value.trim(),
      phone: number,
      time_zone: zone.value,
      admin_email: email.element.value.trim(),
    };
    const sid = service.element.value.trim();
    if (sid) body.messaging_service_sid = sid;
    if (!body.name) errors.name = "Enter the business's name.";
    if (!number) errors.phone = "Enter the number customers text.";
    else if (!E164.test(number)) {
      errors.phone = "Enter the number in E.164 form: a plus, the country code and the number, e.g. +13125550100.";
    }
    if (sid && !MESSAGING_SERVICE.test(sid)) {
      errors.messaging_service_sid = "A Messaging Service SID is MG followed by 32 letters and digits (0–9, a–f).";
    }
    if (!body.time_zone) errors.time_zone = "Choose the business's time zone.";
    if (!body.admin_email) errors.admin_email = "Enter your email.";
    else if (!EMAIL.test(body.admin_email)) errors.admin_email = "Enter an email address like ana@example.com.";
    return { body, errors };
  }
}

/** The API's refusal as form errors: 422 on its fields; a 409 on the field it is about. */
function refusal(failure, body) {
  if (failure.status === 422) {
    const errors = apiFieldErrors(failure);
    return Object.keys(errors).length ? errors : { _: failure.message };
  }
  if (failure.status === 409) {
    if (failure.message.includes(body.phone)) return { phone: failure.message };
    if (failure.message.toLowerCase().includes(body.admin_email.toLowerCase())) return { admin_email: failure.message };
  }
  return { _: failure.message };
}

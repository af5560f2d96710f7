// Sign-in: a dev sign-in form locally; in AWS, a button to the user pool's Hosted UI.

import { h } from "../lib/dom.js";
import { store } from "../lib/store.js";

export function renderSignIn(container, { message, onSignedIn }) {
  const { auth } = store;
  const error = h("p", { class: "notice error", role: "alert", hidden: !message }, message || "");
  const card = h(
    "section",
    { class: "signin card", "aria-labelledby": "signin-title" },
    h("img", { src: "favicon.svg", alt: "", width: 48, height: 48, class: "signin-logo" }),
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in to Reschedule Dispatch"),
    h(
      "p",
      { class: "muted" },
      "Text customers a private link to pick a new time, and follow every reschedule as it happens.",
    ),
    error,
    auth.mode === "dev" ? devForm(error, onSignedIn) : hostedButton(error),
    h("p", { class: "signin-alt" },
      "New to Reschedule Dispatch? ",
      h("button", { type: "button", class: "button link", onclick: () => startBusiness(container, onSignedIn) },
        "Start a business"),
    ),
  );
  container.append(h("div", { class: "signin-page" }, card));
  card.querySelector("input, button")?.focus();
}

/** The sign-up form (views/signup.js) in place of this card; its "Sign in" comes back. */
async function startBusiness(container, onSignedIn) {
  const { renderSignUp } = await import("./signup.js");
  renderSignUp(container, {
    onSignedIn,
    onBack: () => {
      document.title = "Sign in · Reschedule Dispatch";
      container.replaceChildren();
      renderSignIn(container, { message: "", onSignedIn });
    },
  });
}

function devForm(error, onSignedIn) {
  const email = h("input", {
    id: "signin-email",
    name: "email",
    type: "email",
    autocomplete: "username",
    required: true,
    placeholder: "dana@northside.example",
    "aria-describedby": "signin-email-hint",
  });
  const submit = h("button", { type: "submit", class: "button primary block" }, "Sign in");
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "signin-email" }, "Dispatcher email"),
      email,
      h("p", { class: "hint", id: "signin-email-hint" },
        "Local development sign-in: any seeded dispatcher (the ",
        h("code", {}, "make dev"),
        " banner lists them), e.g. dana@northside.example or maria@bayside.example, or anyone who started a business or was invited to a team.",
      ),
    ),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = email.value.trim();
    if (!value || !email.checkValidity()) {
      showError(error, "Enter the email address of a dispatcher.");
      email.setAttribute("aria-invalid", "true");
      email.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await store.auth.signInDev(value);
      onSignedIn();
    } catch (failure) {
      showError(error, failure.message);
      email.setAttribute("aria-invalid", "true");
      email.focus();
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  return form;
}

function hostedButton(error) {
  const button = h("button", { type: "button", class: "button primary block" }, "Sign in with your dispatcher account");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await store.auth.startHostedSignIn();
    } catch {
      showError(error, "Sign-in could not start. Reload the page and try again.");
      button.disabled = false;
    }
  });
  return h("div", { class: "stack" },
    button,
    h("p", { class: "hint" }, "You'll sign in on your business's secure sign-in page (password and authenticator code), then come back here."),
  );
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = false;
}

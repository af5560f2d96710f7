// Team: who works in the business, their role, and when and by whom they were added. An
// admin invites people by email (Cognito creates their account with the business attached
// and emails them a temporary password; locally they use the dev sign-in) and removes them;
// everyone else reads the list. The API decides (403 to a non-admin); its message is shown.

import { ApiError } from "../lib/api.js";
import { confirmDialog } from "../lib/dialogs.js";
import { clear, h, toast } from "../lib/dom.js";
import { formatDateTime, timeElement } from "../lib/format.js";
import { apiFieldErrors, errorSlot, showErrors } from "../lib/forms.js";
import { isAdmin, store } from "../lib/store.js";

const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$/; // the API's (domain/team.py)
const ROLES = [
  ["dispatcher", "Dispatcher"],
  ["admin", "Admin"],
];
const NOT_INVITED = "The invitation wasn't sent.";

export function render(view) {
  const admin = isAdmin();
  const controller = new AbortController();
  const businessName = store.me?.business?.name || "your business";
  const error = h("div", { class: "notice error", role: "alert", hidden: true });
  const list = h("div", { class: "team-list" }, h("p", { class: "loading" }, "Loading the team…"));

  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, "Team"),
        h("p", { class: "muted" },
          `Who works in ${businessName}. Admins change settings and the team; dispatchers reschedule.`),
      ),
    ),
    admin
      ? inviteCard({ signal: controller.signal, onInvited: () => load() })
      : h("p", { class: "notice info" },
        "Only an admin can change the team. Ask an admin to invite or remove someone."),
    h("section", { class: "team-members", "aria-labelledby": "team-members-title" },
      h("h2", { id: "team-members-title", tabindex: "-1" }, "Members"),
      error,
      list,
    ),
  );

  async function load() {
    try {
      const members = await store.api.get("/api/team", { signal: controller.signal });
      clear(list).append(table(members, admin ? remove : null));
    } catch (failure) {
      if (controller.signal.aborted) return;
      showError(`The team couldn't be loaded: ${failure.message}`);
    }
  }

  async function remove(member, button) {
    const confirmed = await confirmDialog({
      title: `Remove ${member.email} from the team?`,
      message: `${member.email} will no longer be able to sign in to ${businessName}.`,
      confirmLabel: "Remove",
      cancelLabel: "Keep them",
      danger: true,
    });
    if (!confirmed) return;
    button.disabled = true;
    error.hidden = true;
    try {
      await store.api.delete(`/api/team/${encodeURIComponent(member.email)}`, { signal: controller.signal });
    } catch (failure) {
      if (controller.signal.aborted) return;
      button.disabled = false;
      showError(failure.message);
      return;
    }
    toast(`${member.email} was removed from the team.`, { tone: "success" });
    await load();
    /** @type {HTMLElement | null} */ (view.querySelector("#team-members-title"))?.focus();
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  load();
  return () => controller.abort();
}

function table(members, remove) {
  const me = (store.me?.email || "").toLowerCase();
  const headers = ["Email", "Role", "Added", "Added by"];
  if (remove) headers.push("Actions");
  // One box per cell: on a phone each cell is a label and its content side by side.
  const cell = (label, ...content) => h("td", { "data-label": label }, h("div", { class: "cell" }, ...content));
  return h("div", { class: "table-wrap" },
    h("table", { class: "session-table team-table" },
      h("caption", { class: "visually-hidden" },
        `The team: ${members.length} ${members.length === 1 ? "person" : "people"}.`),
      h("thead", {}, h("tr", {},
        headers.map((label) => h("th", { scope: "col", class: label === "Actions" ? "actions-col" : null }, label)),
      )),
      h("tbody", {}, members.map((member) => {
        const self = member.email.toLowerCase() === me;
        return h("tr", { "data-email": member.email },
          cell("Email", h("span", { class: "team-email" }, member.email),
            self ? h("span", { class: "cell-sub" }, "You") : null),
          cell("Role", h("span", { class: `chip role-${member.role}` }, member.role === "admin" ? "Admin" : "Dispatcher")),
          cell("Added", member.added_at ? timeElement(member.added_at, formatDateTime(member.added_at)) : "—"),
          cell("Added by", addedBy(member.added_by)),
          remove
            ? cell("Actions", self ? null : h("div", { class: "row-actions" },
              h("button", {
                type: "button",
                class: "button danger-outline small",
                "aria-label": `Remove ${member.email}`,
                onclick: (event) => remove(member, event.currentTarget),
              }, "Remove"),
            ))
            : null,
        );
      })),
    ),
  );
}

function addedBy(who) {
  if (who === "sign-up") return "Started the business";
  if (who === "seed") return "Demo data";
  return who || "—";
}

/** An admin's invitation: an email and a role; the API's refusal on the field or above. */
function inviteCard({ signal, onInvited }) {
  const fields = {};
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
  const status = h("p", { class: "save-status", role: "status" });

  const email = h("input", {
    id: "invite-email", name: "email", type: "email", class: "text-input",
    autocomplete: "off", required: true, maxlength: 254,
  });
  const emailError = errorSlot("email", fields, email, "Email");
  email.setAttribute("aria-describedby", `invite-email-hint ${emailError.id}`);
  const role = h("select", { id: "invite-role", name: "role", class: "text-input" },
    ROLES.map(([value, label]) => h("option", { value }, label)),
  );
  const roleError = errorSlot("role", fields, role, "Role");
  role.setAttribute("aria-describedby", `invite-role-hint ${roleError.id}`);
  const howTheySignIn = store.auth?.mode === "cognito"
    ? "They get an email with a temporary password and sign in here."
    : "Locally they sign in with their email on the sign-in page.";
  const submit = h("button", { type: "submit", class: "button primary" }, "Invite");

  const form = h("form", { class: "settings-section card team-invite", novalidate: true, "aria-labelledby": "invite-title" },
    h("h2", { id: "invite-title" }, "Invite someone"),
    summary,
    h("div", { class: "grid-2" },
      h("div", { class: "field" },
        h("label", { for: "invite-email" }, "Email"),
        email,
        h("p", { class: "hint", id: "invite-email-hint" }, `Someone not on a team yet. ${howTheySignIn}`),
        emailError,
      ),
      h("div", { class: "field" },
        h("label", { for: "invite-role" }, "Role"),
        role,
        h("p", { class: "hint", id: "invite-role-hint" }, "Admins also change settings and the team."),
        roleError,
      ),
    ),
    h("div", { class: "form-actions" }, submit, status),
  );
  form.addEventListener("input", () => (status.textContent = ""));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { email: email.value.trim(), role: role.value };
    const errors = {};
    if (!body.email) errors.email = "Enter the email of the person to invite.";
    else if (!EMAIL.test(body.email)) errors.email = "Enter an email address like dan@example.com.";
    showErrors(errors, fields, summary, { title: NOT_INVITED });
    if (Object.keys(errors).length) return;
    submit.disabled = true;
    submit.textContent = "Inviting…";
    status.textContent = "";
    try {
      const member = await store.api.post("/api/team", body, { signal });
      showErrors({}, fields, summary, { title: NOT_INVITED });
      email.value = "";
      const as = member.role === "admin" ? "an admin" : "a dispatcher";
      status.textContent = `${member.email} was invited as ${as}.`;
      onInvited();
    } catch (failure) {
      if (signal.aborted || !(failure instanceof ApiError)) return;
      const fromApi = failure.status === 422 ? apiFieldErrors(failure) : {};
      // 409 (on a team already, has an account) is about the email; 403 and others above.
      if (failure.status === 409) fromApi.email = failure.message;
      if (!Object.keys(fromApi).length) fromApi._ = failure.message;
      showErrors(fromApi, fields, summary, { title: NOT_INVITED });
    } finally {
      submit.disabled = false;
      submit.textContent = "Invite";
    }
  });
  return form;
}

// Suggested: appointments the scheduling provider says need a new time (the customer canceled,
// the technician reported a no-show or no access, someone marked it). Review and send a link,
// or dismiss. The list shares the app-wide poll; a link sent for one answers it.

import { ApiError } from "../lib/api.js";
import { confirmDialog } from "../lib/dialogs.js";
import { clear, h, icon, toast } from "../lib/dom.js";
import { formatClockSeconds, formatDateTime, nowMs, formatRelative, timeElement } from "../lib/format.js";
import { on, refreshSuggestions, store } from "../lib/store.js";
import { openReview } from "./review.js";
import { openSession } from "./timeline.js";

export function render(view) {
  const updated = h("p", { class: "updated muted", "aria-live": "off" });
  const body = h("div", { class: "suggestions" });
  const error = h("div", { class: "notice error", role: "alert", hidden: true });
  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, "Suggested"),
        h("p", { class: "muted" },
          "Appointments your scheduling provider says need a new time. Review and send the customer a link, or dismiss."),
      ),
      updated,
    ),
    error,
    body,
  );

  function show(data) {
    renderList(body, data.suggestions, { fail });
    updated.textContent = `Updated ${formatClockSeconds(new Date(nowMs()))}`;
  }
  function fail(failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }

  if (store.suggestions) show(store.suggestions);
  else body.append(h("p", { class: "loading" }, "Loading…"));
  // The app-wide poll (app.js) asks every 5 s; ask once now so the tab opens current.
  const stop = on("suggestions-polled", (data) => {
    error.hidden = true;
    show(data);
  });
  refreshSuggestions().catch(fail);
  return stop;
}

function renderList(body, suggestions, actions) {
  // Keep keyboard focus on the same button when a poll redraws the list; when its row is
  // gone (sent or dismissed), on the next row's, so the keyboard does not start over.
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  const focusKey = body.contains(active) ? active.dataset.focusKey : null;
  const rowsBefore = [...body.querySelectorAll("tr[data-appointment-id]")].map((tr) => tr.dataset.appointmentId);
  clear(body);
  if (!suggestions.length) {
    body.append(h("div", { class: "empty-state" },
      icon("check", { size: 40 }),
      h("p", { class: "empty-title" }, "Nothing suggested right now."),
      h("p", { class: "muted" },
        "When your scheduling provider reports a customer cancellation, a no-show or no access, or an appointment marked for rescheduling, it shows up here."),
    ));
  } else {
    const table = h("table", { class: "session-table suggestion-table" },
      h("caption", { class: "visually-hidden" },
        `Suggested: ${suggestions.length} ${suggestions.length === 1 ? "appointment" : "appointments"}, newest first.`),
      h("thead", {}, h("tr", {},
        ["Customer", "Reason", "Reported", "Actions"].map((label) =>
          h("th", { scope: "col", class: label === "Actions" ? "actions-col" : null }, label)),
      )),
      h("tbody", {}, suggestions.map((suggestion) => row(suggestion, actions))),
    );
    body.append(h("div", { class: "table-wrap" }, table));
  }
  if (focusKey) {
    const twin = body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (twin) twin.focus();
    else focusAfterRemoval(body, rowsBefore, focusKey);
  }
}

function focusAfterRemoval(body, rowsBefore, focusKey) {
  const gone = focusKey.replace(/^(review|dismiss)-/, "");
  const after = rowsBefore.slice(rowsBefore.indexOf(gone) + 1);
  for (const id of after) {
    const next = body.querySelector(`[data-focus-key="review-${CSS.escape(id)}"]`);
    if (next) {
      next.focus();
      return;
    }
  }
  const last = body.querySelectorAll("[data-focus-key^='review-']");
  if (last.length) last[last.length - 1].focus();
  else /** @type {HTMLElement | null} */ (document.querySelector("main h1"))?.focus();
}

function row(suggestion, actions) {
  const id = suggestion.appointment_id;
  const describe = `suggestion-${id}`;
  const review = h("button", {
    type: "button",
    class: "button primary small",
    "data-focus-key": `review-${id}`,
    "aria-describedby": describe,
    onclick: (event) => reviewAndSend(suggestion, event.currentTarget, actions),
  }, icon("send", { size: 14 }), h("span", {}, "Review & send"));
  const dismiss = h("button", {
    type: "button",
    class: "button secondary small",
    "data-focus-key": `dismiss-${id}`,
    "aria-describedby": describe,
    onclick: (event) => dismissSuggestion(suggestion, event.currentTarget, actions),
  }, "Dismiss");
  const cell = (label, ...content) => h("td", { "data-label": label }, h("div", { class: "cell" }, ...content));
  return h("tr", { "data-appointment-id": id },
    cell("Customer", h("span", { class: "suggestion-customer", id: describe }, suggestion.customer_name,
      h("span", { class: "visually-hidden" }, `: ${suggestion.reason}`))),
    cell("Reason",
      h("span", { class: "chip suggestion-reason" }, suggestion.reason),
      suggestion.detail ? h("span", { class: "cell-sub suggestion-detail" }, suggestion.detail) : null,
    ),
    cell("Reported",
      timeElement(suggestion.at, formatRelative(suggestion.at)),
      h("span", { class: "cell-sub" }, formatDateTime(suggestion.at)),
    ),
    cell("Actions", h("div", { class: "row-actions" }, review, dismiss)),
  );
}

/**
 * Opens the review drawer for the suggested appointment. The drawer needs the customer and
 * the appointment as Reschedule shows them, so they come from the same customer search
 * (by name, then matched by id): what the provider says now, not what it said then.
 */
async function reviewAndSend(suggestion, button, { fail }) {
  if (button.getAttribute("aria-busy") === "true") return;
  const label = button.lastElementChild;
  button.setAttribute("aria-busy", "true");
  button.classList.add("is-busy");
  label.textContent = "Opening…";
  try {
    const customers = await store.api.get("/api/customers", { query: { q: suggestion.customer_name } });
    const customer = customers.find((c) => c.id === suggestion.customer_id);
    const appointment = customer?.appointments.find((a) => a.id === suggestion.appointment_id);
    if (!appointment) {
      toast(`${suggestion.customer_name}'s appointment is no longer upcoming in your scheduling provider. Dismiss the suggestion, or find the customer in Reschedule.`, { tone: "warning", timeout: 10000 });
      return;
    }
    if (appointment.session) {
      // A link is already out for it (sent elsewhere meanwhile): show that session instead.
      toast(`A link for ${suggestion.customer_name}'s appointment is already out.`, { tone: "info" });
      openSession(appointment.session.id, { returnFocus: button });
      return;
    }
    openReview(customer, appointment, button);
  } catch (failure) {
    if (failure instanceof ApiError) fail(failure);
    else throw failure;
  } finally {
    if (button.isConnected) {
      button.removeAttribute("aria-busy");
      button.classList.remove("is-busy");
      label.textContent = "Review & send";
    }
  }
}

async function dismissSuggestion(suggestion, button, { fail }) {
  const confirmed = await confirmDialog({
    title: "Dismiss this suggestion?",
    message: `${suggestion.customer_name} (${suggestion.reason.toLowerCase()}) leaves the Suggested list. No link is sent; you can still send one from Reschedule.`,
    confirmLabel: "Dismiss",
    cancelLabel: "Keep it",
  });
  if (!confirmed || button.getAttribute("aria-busy") === "true") return;
  // Busy, not disabled: a disabled button would drop keyboard focus before the list redraws.
  button.setAttribute("aria-busy", "true");
  try {
    await store.api.post(`/api/suggestions/${encodeURIComponent(suggestion.appointment_id)}/dismiss`);
    toast(`Suggestion for ${suggestion.customer_name} dismissed.`, { tone: "success", timeout: 3000 });
    await refreshSuggestions();
  } catch (failure) {
    fail(failure);
  } finally {
    button.removeAttribute("aria-busy");
  }
}

// Reschedule: find a customer as you type, then review and send a link for one appointment.

import { h, clear, debounce, icon, statusChip } from "../lib/dom.js";
import { formatDay, formatPhone, formatRange, formatZone, nowMs, timeElement } from "../lib/format.js";
import { on, store } from "../lib/store.js";
import { openReview } from "./review.js";
import { openSession } from "./timeline.js";

const SEARCH_DELAY_MS = 250;
let lastQuery = ""; // kept across tab changes, so coming back shows the same search

/** The API's rule: 2+ characters, or 3+ digits when the query is a phone number. */
function queryProblem(query) {
  const text = query.trim();
  if (!text) return "empty";
  if (/\p{L}/u.test(text)) return text.length >= 2 ? null : "Type at least 2 letters of a name.";
  const digits = text.replace(/\D/g, "");
  return digits.length >= 3 ? null : "Type at least 3 digits of a phone number.";
}

export function render(view) {
  const input = h("input", {
    id: "customer-search",
    type: "search",
    class: "search-input",
    placeholder: "Search by name or phone…",
    autocomplete: "off",
    spellcheck: "false",
    enterkeyhint: "search",
    "aria-describedby": "search-status",
    "aria-controls": "search-results",
  });
  const status = h("p", { id: "search-status", class: "search-status", "aria-live": "polite" });
  const results = h("div", { id: "search-results", class: "results" });

  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, "Reschedule"),
        h("p", { class: "muted" }, "Find the customer, review the text, send the link. They pick a new time on their phone."),
      ),
    ),
    h("div", { class: "search", role: "search" },
      h("label", { for: "customer-search", class: "visually-hidden" }, "Search customers by name or phone"),
      icon("search", { size: 20 }),
      input,
    ),
    status,
    results,
  );

  let controller = null;
  let current = null; // the last answer, re-rendered when sessions change

  async function search(query, { quiet = false } = {}) {
    lastQuery = query;
    const problem = queryProblem(query);
    controller?.abort();
    if (problem) {
      current = null;
      status.textContent = problem === "empty" ? "" : problem;
      renderEmpty(results, problem === "empty");
      return;
    }
    controller = new AbortController();
    const signal = controller.signal;
    if (!quiet) {
      status.textContent = "Searching…";
      results.setAttribute("aria-busy", "true");
    }
    try {
      const customers = await store.api.get("/api/customers", { query: { q: query.trim() }, signal });
      if (signal.aborted) return;
      current = { query, customers };
      renderResults(results, current);
      status.textContent = summary(customers);
    } catch (error) {
      if (signal.aborted) return;
      if (!quiet) {
        status.textContent = "";
        clear(results).append(h("div", { class: "notice error", role: "alert" }, error.message));
      }
    } finally {
      results.removeAttribute("aria-busy");
    }
  }

  const searchSoon = debounce((q) => search(q), SEARCH_DELAY_MS);
  input.addEventListener("input", () => searchSoon(input.value));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      searchSoon.cancel();
      search(input.value);
    }
  });

  // A send, resend, cancel or a customer's pick changes the chips: ask again, quietly.
  const stop = on("sessions", () => {
    if (current) search(current.query, { quiet: true });
  });

  input.value = lastQuery;
  if (lastQuery) search(lastQuery);
  else renderEmpty(results, true);
  input.focus();

  return () => {
    stop();
    searchSoon.cancel();
    controller?.abort();
  };
}

function summary(customers) {
  const appointments = customers.reduce((n, c) => n + c.appointments.length, 0);
  if (!customers.length) return "No customers found.";
  const who = customers.length === 1 ? "1 customer" : `${customers.length} customers`;
  const what = appointments === 1 ? "1 upcoming appointment" : `${appointments} upcoming appointments`;
  return `${who} · ${what}`;
}

function renderEmpty(results, initial) {
  clear(results);
  if (initial) {
    results.append(
      h("div", { class: "empty-state" },
        icon("calendar", { size: 40 }),
        h("p", { class: "empty-title" }, "Who needs a new time?"),
        h("p", { class: "muted" }, "Search by customer name or any part of their phone number."),
      ),
    );
  }
}

function renderResults(results, { query, customers }) {
  // Keep keyboard focus on the same button when the list is redrawn by a poll.
  const focusKey = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.focusKey;
  clear(results);
  if (!customers.length) {
    results.append(
      h("div", { class: "empty-state" },
        h("p", { class: "empty-title" }, `No customers match “${query.trim()}”.`),
        h("p", { class: "muted" }, "Check the spelling, or try part of the phone number."),
      ),
    );
    return;
  }
  for (const customer of customers) {
    results.append(customerCard(customer, query));
  }
  if (focusKey) results.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function customerCard(customer, query) {
  const titleId = `customer-${customer.id}`;
  return h("section", { class: "card customer", "aria-labelledby": titleId },
    h("header", { class: "customer-header" },
      h("h2", { id: titleId }, highlight(customer.name, query)),
      h("a", { class: "customer-phone", href: `tel:${customer.phone}` },
        icon("phone", { size: 14 }), formatPhone(customer.phone)),
    ),
    customer.appointments.length
      ? h("ul", { class: "appointments", role: "list" }, customer.appointments.map((a) => appointmentRow(customer, a)))
      : h("p", { class: "muted no-appointments" }, "No upcoming appointments."),
  );
}

function appointmentRow(customer, appointment) {
  const describe = `appt-${appointment.id}`;
  const session = appointment.session || null;
  const tooSoon = !session && tooSoonReason(appointment);
  const button = session
    ? h("button", {
        type: "button",
        class: "button secondary",
        "data-focus-key": `review-${appointment.id}`,
        "aria-describedby": describe,
        onclick: () => openSession(session.id),
      }, "Review & resend")
    : h("button", {
        type: "button",
        class: "button primary",
        "data-focus-key": `review-${appointment.id}`,
        "aria-describedby": tooSoon ? `${describe} ${describe}-soon` : describe,
        disabled: Boolean(tooSoon),
        onclick: (event) => openReview(customer, appointment, event.currentTarget),
      }, "Review & send");

  return h("li", { class: "appointment", "data-appointment-id": appointment.id },
    h("div", { class: "appointment-main", id: describe },
      h("p", { class: "appointment-service" }, appointment.service),
      h("p", { class: "appointment-when" },
        icon("clock", { size: 15 }),
        timeElement(appointment.start,
          `${formatDay(appointment.start)} · ${formatRange(appointment.start, appointment.end)} ${formatZone(appointment.start)}`),
      ),
      h("p", { class: "appointment-tech" }, icon("wrench", { size: 15 }), appointment.technician.name),
    ),
    h("div", { class: "appointment-side" },
      session ? statusChip(session.status, session.status_label) : null,
      tooSoon ? h("p", { class: "hint", id: `${describe}-soon` }, tooSoon) : null,
      button,
    ),
  );
}

/** Why an appointment can't get a link, by the business's minimum notice (the API decides too). */
function tooSoonReason(appointment) {
  const hours = store.settings?.min_notice_hours;
  if (hours === undefined || hours === null) return null;
  const start = new Date(appointment.start).getTime();
  return start - hours * 3600_000 <= nowMs()
    ? `Less than ${hours} h away: too soon to reschedule online.`
    : null;
}

/** The name with each searched word marked (case-insensitive). */
function highlight(name, query) {
  const words = query.trim().split(/\s+/).filter((w) => /\p{L}/u.test(w));
  if (!words.length) return name;
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  return name.split(pattern).map((part, i) => (i % 2 ? h("mark", {}, part) : part));
}

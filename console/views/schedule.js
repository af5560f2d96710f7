// Schedule: the business's technicians and their appointments, a day or a week at a time,
// from the schedule mirror of the scheduling provider. Selecting an appointment opens it, to reschedule it directly.

import { clear, h, icon, statusChip } from "../lib/dom.js";
import { addDays, formatIsoDay, formatRange, isoDay, nowMs, timeElement } from "../lib/format.js";
import { on, store } from "../lib/store.js";
import { openMove } from "./move.js";

// Kept across tab changes: coming back shows the same day, span and technician.
const state = { day: null, days: 1, technician: "" };

export function render(view) {
  state.day ??= isoDay();
  const status = h("p", { id: "schedule-status", class: "search-status", "aria-live": "polite" });
  const grid = h("div", { id: "schedule-grid", class: "schedule" });

  const dayInput = h("input", {
    id: "schedule-day",
    type: "date",
    value: state.day,
    onchange: () => {
      if (dayInput.value) go(dayInput.value);
    },
  });
  const span = h("fieldset", { class: "segmented" },
    h("legend", { class: "visually-hidden" }, "Show"),
    /** @type {[number, string][]} */ ([[1, "Day"], [7, "Week"]]).map(([days, label]) =>
      h("label", {},
        h("input", {
          type: "radio",
          name: "schedule-span",
          value: String(days),
          checked: state.days === days,
          onchange: () => {
            state.days = days;
            labelSteps();
            load();
          },
        }),
        h("span", {}, label),
      ),
    ),
  );
  const previous = h("button", { type: "button", class: "button secondary small", onclick: () => go(addDays(state.day, -state.days)) });
  const next = h("button", { type: "button", class: "button secondary small", onclick: () => go(addDays(state.day, state.days)) });
  const labelSteps = () => {
    previous.textContent = state.days === 7 ? "Previous week" : "Previous day";
    next.textContent = state.days === 7 ? "Next week" : "Next day";
  };
  labelSteps();
  const technician = h("select", {
    id: "schedule-technician",
    onchange: () => {
      state.technician = technician.value;
      load();
    },
  }, h("option", { value: "" }, "All technicians"));

  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, "Schedule"),
        h("p", { class: "muted" }, "Technicians and their appointments. Open one to move it while the customer is on the phone."),
      ),
    ),
    h("div", { class: "schedule-toolbar", role: "group", "aria-label": "Which days" },
      previous,
      h("button", { type: "button", class: "button secondary small", onclick: () => go(isoDay()) }, "Today"),
      next,
      h("label", { for: "schedule-day", class: "inline-label" }, "Date"),
      dayInput,
      span,
      h("label", { for: "schedule-technician", class: "inline-label" }, "Technician"),
      technician,
    ),
    status,
    grid,
  );

  let controller = null;
  let current = null;

  function go(day) {
    state.day = day;
    dayInput.value = day;
    load();
  }

  async function load({ quiet = false } = {}) {
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    if (!quiet) {
      status.textContent = "Loading the schedule…";
      grid.setAttribute("aria-busy", "true");
    }
    try {
      const query = { start: state.day, days: state.days, technician_id: state.technician || undefined };
      const schedule = await store.api.get("/api/schedule", { query, signal });
      if (signal.aborted) return;
      current = schedule;
      fillTechnicians(technician, schedule);
      renderGrid(grid, schedule);
      const n = schedule.appointments.length;
      status.textContent = `${n === 1 ? "1 appointment" : `${n} appointments`} · ${rangeLabel(schedule)}${staleness(schedule)}`;
    } catch (error) {
      if (signal.aborted) return;
      status.textContent = "";
      clear(grid).append(h("div", { class: "notice error", role: "alert" }, error.message));
    } finally {
      grid.removeAttribute("aria-busy");
    }
  }

  // A move (or a customer's pick) changes the schedule: ask again, quietly.
  const stop = on("sessions", () => {
    if (current) load({ quiet: true });
  });
  load();
  return () => {
    stop();
    controller?.abort();
  };
}

let technicianNames = new Map(); // every technician seen, so the filter keeps its options

function fillTechnicians(select, schedule) {
  if (!state.technician) {
    technicianNames = new Map(schedule.technicians.map((t) => [t.id, t.name]));
  }
  const wanted = [...technicianNames].map(([id, name]) => `${id}:${name}`).join("|");
  if (select.dataset.options === wanted) return;
  select.dataset.options = wanted;
  select.replaceChildren(
    h("option", { value: "" }, "All technicians"),
    ...[...technicianNames].map(([id, name]) => h("option", { value: id, selected: id === state.technician }, name)),
  );
}

// The schedule comes from the product's mirror of the provider, read whole every 15
// minutes and pushed in between: say how old it is only when that is worth knowing.
const STALE_MINUTES = 20;

function staleness(schedule) {
  if (!schedule.updated_at) return "";
  const minutes = Math.floor((nowMs() - Date.parse(schedule.updated_at)) / 60000);
  if (minutes < STALE_MINUTES) return "";
  const age = minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h`;
  return ` · updated ${age} ago`;
}

function rangeLabel(schedule) {
  if (schedule.days === 1) return formatIsoDay(schedule.start);
  return `${formatIsoDay(schedule.start)} – ${formatIsoDay(addDays(schedule.start, schedule.days - 1))}`;
}

function renderGrid(grid, schedule) {
  const focusKey = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.focusKey;
  clear(grid);
  if (!schedule.technicians.length) {
    grid.append(h("p", { class: "muted" }, "No technicians."));
    return;
  }
  const days = Array.from({ length: schedule.days }, (_, i) => addDays(schedule.start, i));
  const names = new Map(schedule.technicians.map((t) => [t.id, t.name]));
  const cell = new Map(); // "technician|day" -> appointments
  for (const appointment of schedule.appointments) {
    const key = `${appointment.technician_id}|${isoDay(new Date(appointment.start))}`;
    if (!cell.has(key)) cell.set(key, []);
    cell.get(key).push(appointment);
  }
  const table = h("table", { class: "schedule-table" },
    h("caption", { class: "visually-hidden" }, `Appointments by technician, ${rangeLabel(schedule)}`),
    h("thead", {},
      h("tr", {},
        h("th", { scope: "col" }, "Technician"),
        days.map((day) => h("th", { scope: "col" }, formatIsoDay(day))),
      ),
    ),
    h("tbody", {},
      schedule.technicians.map((technician) =>
        h("tr", {},
          h("th", { scope: "row" }, technician.name),
          days.map((day) => {
            const items = cell.get(`${technician.id}|${day}`) || [];
            return h("td", {},
              items.length
                ? h("ul", { class: "slot-list", role: "list" },
                    items.map((a) => h("li", {}, appointmentButton(a, names.get(a.technician_id)))))
                : h("span", { class: "muted free" }, "Free"),
            );
          }),
        ),
      ),
    ),
  );
  grid.append(table);
  if (focusKey) grid.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function appointmentButton(appointment, technicianName) {
  const who = appointment.customer?.name || "Unknown customer";
  return h("button", {
    type: "button",
    class: "slot-button",
    "data-appointment-id": appointment.id,
    "data-focus-key": `slot-${appointment.id}`,
    onclick: (event) => openMove(appointment, technicianName, event.currentTarget,
      [...technicianNames].map(([id, name]) => ({ id, name }))),
  },
    h("span", { class: "slot-time" }, icon("clock", { size: 14 }),
      timeElement(appointment.start, formatRange(appointment.start, appointment.end))),
    h("span", { class: "slot-what" }, appointment.service),
    h("span", { class: "slot-who" }, who),
    appointment.session ? statusChip(appointment.session.status, appointment.session.status_label) : null,
  );
}

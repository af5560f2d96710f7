// What every view shares: the API client, who is signed in, the business's settings, and
// the In progress and Suggested lists, polled every few seconds so every view stays current
// without reloads.

const POLL_MS = 5000;

export const store = {
  config: null,
  api: null,
  auth: null,
  me: null, // {email, role: "admin" | "dispatcher", business: {id, name, phone, time_zone}}
  settings: null, // null until loaded, or when the API has none for us
  inProgress: null, // the latest GET /api/sessions?view=in_progress
  suggestions: null, // the latest GET /api/suggestions
  events: new EventTarget(),
  welcome: null, // the business's name, right after its sign-up: Settings greets its admin once
};

/** Whether the signed-in person is an admin of their business (changes settings and the team). */
export function isAdmin() {
  return store.me?.role === "admin";
}

function emit(name, detail) {
  store.events.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, handler) {
  const listener = (event) => handler(event.detail);
  store.events.addEventListener(name, listener);
  return () => store.events.removeEventListener(name, listener);
}

/**
 * Calls fn now and every `interval` ms while the tab is visible (a hidden tab stops asking;
 * coming back asks at once). Returns stop().
 */
export function poll(fn, interval = POLL_MS) {
  let timer = null;
  let stopped = false;
  let running = false;
  const tick = async () => {
    if (stopped || running) return;
    running = true;
    try {
      await fn();
    } catch {
      // A failed poll is retried on the next tick; views show their own errors.
    } finally {
      running = false;
      schedule();
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && document.visibilityState === "visible") timer = setTimeout(tick, interval);
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") tick();
    else clearTimeout(timer);
  };
  document.addEventListener("visibilitychange", onVisibility);
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}

/** Asks for the In progress list now (after a send, resend or cancel). */
export async function refreshInProgress() {
  const data = await store.api.get("/api/sessions", { query: { view: "in_progress", limit: 100 } });
  const before = fingerprint(store.inProgress);
  store.inProgress = data;
  if (fingerprint(data) !== before) emit("sessions", data); // something changed
  emit("sessions-polled", data); // every answer: relative times and "Updated" move on
  return data;
}

function fingerprint(list) {
  if (!list) return "";
  return list.sessions
    .map((s) => `${s.id}:${s.status}:${s.delivery_status}:${s.last_event_at}`)
    .join("|");
}

/** Asks for the Suggested list now (after a send or a dismiss). */
export async function refreshSuggestions() {
  const data = await store.api.get("/api/suggestions");
  const before = suggestionsFingerprint(store.suggestions);
  store.suggestions = data;
  if (suggestionsFingerprint(data) !== before) emit("suggestions", data);
  emit("suggestions-polled", data);
  return data;
}

function suggestionsFingerprint(list) {
  if (!list) return "";
  return list.suggestions.map((s) => `${s.appointment_id}:${s.change}:${s.at}:${s.detail}`).join("|");
}

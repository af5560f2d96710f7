// The dispatcher console: boot (config, sign-in), the shell (business, tabs) and the router.
// Plain ES modules, no build step: what is in this folder is what the browser runs.

import { createApi } from "./lib/api.js";
import { createAuth, SESSION_ENDED, withSession } from "./lib/auth.js";
import { clear, h } from "./lib/dom.js";
import { formatDateTime, setClockOffset, setTimeZone, zoneName } from "./lib/format.js";
import { on, poll, refreshInProgress, refreshSuggestions, store } from "./lib/store.js";

const ROUTES = {
  reschedule: { title: "Reschedule", load: () => import("./views/reschedule.js") },
  schedule: { title: "Schedule", load: () => import("./views/schedule.js") },
  suggested: { title: "Suggested", load: () => import("./views/suggestions.js") },
  "in-progress": { title: "In progress", load: () => import("./views/sessions.js") },
  history: { title: "History", load: () => import("./views/sessions.js") },
  settings: { title: "Settings", load: () => import("./views/settings.js") },
  team: { title: "Team", load: () => import("./views/team.js") },
};
const DEFAULT_ROUTE = "reschedule";

const main = document.getElementById("main");

// Routes live in the URL's hash, so the skip link moves focus itself instead of to "#main".
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
let cleanup = null;
let navigation = 0;

async function boot() {
  let config;
  try {
    const response = await fetch("config.json", { cache: "no-store", credentials: "omit" });
    config = await response.json();
  } catch {
    showFatal("The console's configuration (config.json) could not be loaded.");
    return;
  }
  store.config = config;
  const auth = createAuth(config);
  store.auth = auth;
  // The ID token is renewed before it expires and once on a 401 (lib/auth.js): a dispatcher
  // is asked to sign in again only when the sign-in itself has ended (after a shift), and
  // comes back to this screen: the route stays in the address (the Hosted UI keeps it too).
  const api = createApi({ baseUrl: config.apiBaseUrl, token: () => auth.token(), onUnauthorized: null });
  store.api = withSession(api, auth);
  auth.onEnded(() => showSignIn(SESSION_ENDED));

  try {
    await auth.completeRedirect();
  } catch (error) {
    showSignIn(error.message);
    return;
  }
  const resumed = await auth.resume();
  if (resumed === "none") showSignIn();
  if (resumed !== "signed-in") return; // "ended": onEnded shows the sign-in, saying so
  await startSession();
}

async function showSignIn(message = "") {
  stopPolling();
  window.removeEventListener("hashchange", route); // no view may render behind sign-in
  if (cleanup) cleanup();
  cleanup = null;
  document.getElementById("tabs").hidden = true;
  document.getElementById("account").hidden = true;
  document.getElementById("business").hidden = true;
  for (const dialog of document.querySelectorAll("dialog")) if (dialog.open) dialog.close();
  const { renderSignIn } = await import("./views/signin.js");
  document.title = "Sign in · Reschedule Dispatch";
  renderSignIn(clear(main), { message, onSignedIn: () => startSession() });
}

let stopPolling = () => {};
let shellReady = false;

async function startSession() {
  const { api, auth } = store;
  clear(main).append(h("p", { class: "loading" }, "Loading your business…"));
  const claims = auth.claims() || {};
  // /api/me names the business; the token's claims are the fallback for the email.
  const [me, settings] = await Promise.allSettled([api.get("/api/me"), api.get("/api/settings")]);
  if (!auth.hasSession()) return; // the session ended meanwhile: sign-in is showing
  store.me = me.status === "fulfilled" ? me.value : { email: claims.email || "", business: null };
  store.settings = settings.status === "fulfilled" ? settings.value : null;
  setTimeZone(store.me.business?.time_zone);

  renderShell();
  await readDevClock();
  // Both lists on one timer; one failing does not keep the other from updating.
  stopPolling = poll(() => Promise.all([refreshInProgress(), refreshSuggestions(), readDevClock()]));
  window.addEventListener("hashchange", route);
  await route();
}

// The local stack's settable clock (config.devClock, never in AWS): the console's times follow
// it, and a banner says the time is simulated, so nobody takes it for the real one.
async function readDevClock() {
  const url = store.config.devClock;
  if (!url) return;
  let clock;
  try {
    const response = await fetch(url, { cache: "no-store", credentials: "omit" });
    if (!response.ok) return;
    clock = await response.json();
  } catch {
    return; // the banner keeps what it last showed
  }
  setClockOffset(Date.parse(clock.now) - Date.now());
  const banner = document.getElementById("clock-banner");
  banner.hidden = !clock.simulated;
  banner.textContent = clock.simulated
    ? `Simulated time: ${formatDateTime(clock.now)}. The local stack's clock is set (${url}).`
    : "";
}

function renderShell() {
  const { me } = store;
  const business = document.getElementById("business");
  business.replaceChildren();
  if (me.business) {
    business.append(
      h("strong", {}, me.business.name),
      h("span", { class: "muted" }, ` · times in ${zoneName(me.business.time_zone)}`),
    );
    business.hidden = false;
  }
  document.getElementById("account-email").textContent = me.email;
  document.getElementById("account").hidden = false;
  document.getElementById("tabs").hidden = false;
  document.getElementById("sign-out").onclick = () => store.auth.signOut();

  if (shellReady) return;
  shellReady = true;
  const showCount = (element, n) => {
    element.hidden = n === 0;
    element.textContent = n >= 100 ? "99+" : String(n);
  };
  const count = document.getElementById("in-progress-count");
  on("sessions", (data) => showCount(count, data.sessions.length));
  const suggested = document.getElementById("suggested-count");
  on("suggestions", (data) => showCount(suggested, data.suggestions.length));
}

async function route(event) {
  const name = currentRoute();
  const spec = ROUTES[name];
  if (!spec) {
    window.location.replace(`#/${DEFAULT_ROUTE}`);
    return;
  }
  const ticket = ++navigation;
  for (const link of document.getElementById("tabs").querySelectorAll("a")) {
    if (link.dataset.route === name) {
      link.setAttribute("aria-current", "page");
      link.scrollIntoView({ block: "nearest", inline: "nearest" }); // a phone's tab bar scrolls
    } else link.removeAttribute("aria-current");
  }
  const module = await spec.load();
  if (ticket !== navigation) return; // another navigation won the race
  if (cleanup) cleanup();
  cleanup = null;
  document.title = `${spec.title} · Reschedule Dispatch`;
  const view = h("div", { class: "view" });
  clear(main).append(view);
  cleanup = module.render(view, { route: name }) || null;
  // After a tab change, focus the new page's heading so keyboard and screen reader users
  // start there (on first load, focus stays where the browser put it).
  const heading = view.querySelector("h1");
  if (heading && event) heading.focus({ preventScroll: true });
}

function currentRoute() {
  const path = window.location.hash.replace(/^#\/?/, "").split(/[?/]/)[0];
  return path || DEFAULT_ROUTE;
}

function showFatal(message) {
  clear(main).append(h("div", { class: "notice error", role: "alert" }, message));
}

boot();

// Sign-in and a session that lasts a shift.
//
// Locally ("auth": "dev") a dispatcher types their email and the local gateway signs them in
// (GET /dev/token). In AWS ("auth": "cognito") the console uses the user pool's Hosted UI with
// the OAuth 2.0 authorization code flow, PKCE and an OIDC nonce: Cognito handles passwords,
// first-time password change and TOTP MFA, and the console never sees a password.
//
// Either way the console holds an ID token (what the API's Cognito authorizer checks; an hour)
// and a refresh token (the sign-in's; 12 hours, rotated on every use), both in sessionStorage:
// gone when the tab closes. Before the ID token expires (and once on a 401, then the request
// is repeated) it is renewed at the token endpoint with grant_type=refresh_token: Cognito's
// /oauth2/token in AWS, the local gateway's /oauth2/token locally, the same code both ways.
// When the sign-in has ended (the refresh token refused: expired, revoked or replayed) the
// dispatcher is asked to sign in again and comes back to the screen they were on.
//
// Why not oidc-client-ts (vendored from npm)? It supports Cognito's endpoints, PKCE, nonce
// and refresh, but its browser build is 70 KB minified, more than the whole console's lib/,
// for what is here in a few hundred lines, and it imports jwt-decode by bare name (a second
// vendored file and an import map, with no build step); it wants the issuer's discovery
// document (one more origin in the CSP's connect-src, or a seeded copy), and Cognito's logout
// is not the standard end-session endpoint. Above all, the local dev sign-in is not OIDC:
// with the library, the session code the browser tests run locally would not be the code
// that runs in AWS. Here it is the same code (docs/console.md, "A session that lasts a shift").

import { ApiError } from "./api.js";

const SESSION_KEY = "rd.session";
const LEGACY_TOKEN_KEY = "rd.idToken"; // before refresh: an ID token alone
const PKCE_KEY = "rd.pkce";
const CHANNEL_NAME = "rd.session";
const TOKEN_TIMEOUT_MS = 15000;
// Renew a fifth of the ID token's life before it ends (an hour's token: 5 minutes before;
// hidden tabs' timers may run a minute late), and stop sending it a tenth before (30 s).
const RENEW_AHEAD_MAX_MS = 5 * 60 * 1000;
const STALE_AHEAD_MAX_MS = 30 * 1000;
// After a renewal that could not reach the token endpoint, try again this much later.
const RETRY_MS = 15 * 1000;

export const SESSION_ENDED = "Your session has ended. Sign in again to continue.";
const UNREACHABLE = "Can't reach the sign-in service to renew your session. Check your connection and try again.";
const MISMATCH = "The sign-in response did not match this browser tab. Sign in again.";

export function decodeClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      [...atob(payload)].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export class SignInError extends Error {}

/**
 * @typedef {{ idToken: string, refreshToken: string, expiresAt: number, lifetimeMs: number }} Session
 * @typedef {"fresh" | "renewed" | "ended" | "unavailable"} Renewal
 */

export function createAuth(config) {
  const apiBase = (config.apiBaseUrl || "").replace(/\/+$/, "");
  const mode = config.auth === "cognito" ? "cognito" : "dev";
  const domain = (config.domain || "").replace(/\/+$/, "");
  // Cognito's token endpoint is on the Hosted UI domain; locally the gateway serves one.
  const tokenBase = mode === "cognito" ? domain : apiBase;
  // The console's own address is the OAuth redirect URI (registered on the app client).
  const redirectUri = new URL(".", window.location.href).href;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
  /** @type {Set<() => void>} */
  const endedListeners = new Set();
  /** @type {Promise<Renewal> | null} */
  let renewing = null;
  let timer = 0;

  sessionStorage.removeItem(LEGACY_TOKEN_KEY);
  /** @type {Session | null} */
  let session = readSession();
  schedule();

  // A duplicated tab starts with this tab's session; whichever renews first tells the other,
  // which takes the rotated tokens instead of being refused for the used refresh token.
  channel?.addEventListener("message", async (event) => {
    const { previous, next } = event.data || {};
    if (!session || !next || previous !== (await fingerprint(session.refreshToken))) return;
    keep(next);
  });
  // Timers in a hidden or sleeping tab run late: check as soon as the dispatcher is back.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") check();
  });

  function readSession() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      return stored && stored.idToken && stored.refreshToken ? stored : null;
    } catch {
      return null;
    }
  }

  /** @param {Session} next */
  function keep(next) {
    session = next;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
    schedule();
  }

  /** A session from a token endpoint answer; the refresh token kept if none came back. */
  function sessionFrom(data, previousRefreshToken = "") {
    const claims = decodeClaims(data.id_token) || {};
    const seconds = Number(data.expires_in) || Number(claims.exp) - Number(claims.iat) || 3600;
    // Timed by this browser's clock from the answer, so a skewed clock cannot matter.
    const lifetimeMs = seconds * 1000;
    return {
      idToken: data.id_token,
      refreshToken: data.refresh_token || previousRefreshToken,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
    };
  }

  function renewAt(current) {
    return current.expiresAt - Math.min(RENEW_AHEAD_MAX_MS, current.lifetimeMs / 5);
  }

  /** The next renewal, on a timer: when the ID token is due, or `delay` ms from now. */
  function schedule(delay = null) {
    clearTimeout(timer);
    if (!session) return;
    timer = window.setTimeout(check, delay ?? Math.max(0, renewAt(session) - Date.now()));
  }

  /** Renews if due; ends the session if refused; otherwise sets the next try. */
  async function check() {
    const result = await ensureFresh();
    if (result === "ended") end();
    else if (result === "fresh") schedule();
    else if (result === "unavailable" && session) schedule(Math.min(RETRY_MS, session.lifetimeMs / 5));
    // "renewed": keep() has set the next one
  }

  /** The ID token while it is good to send; null when there is none or it is about to end. */
  function token() {
    if (!session) return null;
    const staleAt = session.expiresAt - Math.min(STALE_AHEAD_MAX_MS, session.lifetimeMs / 10);
    return Date.now() < staleAt ? session.idToken : null;
  }

  function claims() {
    return session ? decodeClaims(session.idToken) : null;
  }

  function hasSession() {
    return session !== null;
  }

  /** Renews the ID token when it is due; one renewal at a time, whoever asks. */
  async function ensureFresh() {
    if (!session) return "ended";
    if (Date.now() < renewAt(session)) return "fresh";
    return renew();
  }

  /** @returns {Promise<Renewal>} */
  function renew() {
    renewing ??= exchange().finally(() => {
      renewing = null;
    });
    return renewing;
  }

  /** @returns {Promise<Renewal>} */
  async function exchange() {
    const current = session;
    if (!current) return "ended";
    let response;
    try {
      response = await fetch(`${tokenBase}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          client_id: config.clientId || "dev-console",
          refresh_token: current.refreshToken,
        }),
        credentials: "omit",
        cache: "no-store",
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch {
      return "unavailable";
    }
    const data = await response.json().catch(() => ({}));
    if (session !== current) return session ? "renewed" : "ended"; // signed out or adopted meanwhile
    // 400 invalid_grant: the sign-in has ended (expired, revoked, used up). 5xx, 429: try later.
    // Only the token endpoint's own refusal ends the session; anything else in the way (a
    // WAF's 403, a captive portal's page) is "try later", never a sign-out mid-task.
    if (response.status === 400 && data.error === "invalid_grant") return "ended";
    if (!response.ok || !data.id_token) return "unavailable";
    if (decodeClaims(data.id_token)?.sub !== decodeClaims(current.idToken)?.sub) return "ended";
    const next = sessionFrom(data, current.refreshToken);
    keep(next);
    channel?.postMessage({ previous: await fingerprint(current.refreshToken), next });
    return "renewed";
  }

  /** Forgets the session and tells the console once; answers the error a caller throws. */
  function end() {
    if (session) {
      session = null;
      clearTimeout(timer);
      sessionStorage.removeItem(SESSION_KEY);
      for (const listener of endedListeners) listener();
    }
    return new ApiError(401, SESSION_ENDED);
  }

  /** Called when a sign-in ends (not on sign-out): the console asks to sign in again. */
  function onEnded(listener) {
    endedListeners.add(listener);
  }

  /** On page load: the stored session, renewed first if its ID token is due. */
  async function resume() {
    if (!session) return "none";
    const result = await ensureFresh();
    if (result === "ended") {
      end();
      return "ended";
    }
    return "signed-in";
  }

  async function signInDev(email) {
    const nonce = randomString(16);
    let response;
    try {
      const url = new URL(`${apiBase}/dev/token`, window.location.href);
      url.searchParams.set("dispatcher", email);
      url.searchParams.set("nonce", nonce);
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch {
      throw new SignInError("Can't reach the local stack. Is `make dev` running?");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok || !data.id_token) {
      throw new SignInError(data.message || `Sign-in failed (${response.status}).`);
    }
    if (decodeClaims(data.id_token)?.nonce !== nonce) throw new SignInError(MISMATCH);
    keep(sessionFrom(data));
  }

  async function startHostedSignIn() {
    const verifier = randomString(64);
    const state = randomString(24);
    const nonce = randomString(24);
    // Where to come back to: Cognito returns to the registered address, without the route.
    const returnTo = window.location.hash;
    sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
    const url = new URL(`${domain}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: config.clientId,
      redirect_uri: redirectUri,
      scope: "openid email profile",
      state,
      nonce,
      code_challenge: await sha256Base64Url(verifier),
      code_challenge_method: "S256",
    }).toString();
    window.location.assign(url.href);
  }

  /** Finishes a Hosted UI redirect (?code=&state=) if this page load is one. */
  async function completeRedirect() {
    if (mode !== "cognito") return false;
    const params = new URLSearchParams(window.location.search);
    const code = params.get("code");
    const error = params.get("error_description") || params.get("error");
    if (!code && !error) return false;
    const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
    sessionStorage.removeItem(PKCE_KEY);
    // Drop ?code= from the address bar and history (it is single-use, and not to be shared),
    // back on the screen the dispatcher signed in from.
    window.history.replaceState(null, "", redirectUri + (saved?.returnTo || window.location.hash));
    if (error) throw new SignInError(`Sign-in was not completed: ${error}`);
    if (!saved || saved.state !== params.get("state")) throw new SignInError(MISMATCH);
    const response = await fetch(`${domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: config.clientId,
        code,
        redirect_uri: redirectUri,
        code_verifier: saved.verifier,
      }),
      credentials: "omit",
      cache: "no-store",
    }).catch(() => null);
    const data = response ? await response.json().catch(() => ({})) : {};
    if (!response || !response.ok || !data.id_token) {
      throw new SignInError(data.error_description || "Sign-in failed. Try again.");
    }
    // OIDC: the ID token is for this client, from this pool, and answers this tab's request.
    const idClaims = decodeClaims(data.id_token) || {};
    const audience = [].concat(idClaims.aud ?? []);
    if (idClaims.nonce !== saved.nonce || !audience.includes(config.clientId)) throw new SignInError(MISMATCH);
    if (config.userPoolId && config.region) {
      const issuer = `https://cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`;
      if (idClaims.iss !== issuer) throw new SignInError(MISMATCH);
    }
    keep(sessionFrom(data));
    return true;
  }

  function signOut() {
    const current = session;
    session = null;
    clearTimeout(timer);
    sessionStorage.removeItem(SESSION_KEY);
    // The refresh token dies with the sign-out (it would otherwise live out the shift);
    // keepalive lets the request finish while the page goes.
    if (current) {
      fetch(`${tokenBase}/oauth2/revoke`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: current.refreshToken, client_id: config.clientId || "dev-console" }),
        credentials: "omit",
        keepalive: true,
      }).catch(() => {});
    }
    if (mode === "cognito" && domain) {
      // Ends the Hosted UI session too, so the next sign-in asks for the password again.
      const url = new URL(`${domain}/logout`);
      url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri }).toString();
      window.location.assign(url.href);
    } else {
      window.location.hash = "";
      window.location.reload();
    }
  }

  return {
    mode,
    token,
    claims,
    hasSession,
    ensureFresh,
    renew,
    end,
    onEnded,
    resume,
    signInDev,
    startHostedSignIn,
    completeRedirect,
    signOut,
  };
}

/**
 * The API with the session kept alive: the ID token renewed before a request when it is due,
 * and a request answered 401 repeated once after a renewal. A renewal refused ends the session.
 * @param {ReturnType<typeof import("./api.js").createApi>} api
 * @param {ReturnType<typeof createAuth>} auth
 * @returns {ReturnType<typeof import("./api.js").createApi>}
 */
export function withSession(api, auth) {
  const guarded = (call) => async (...args) => {
    const before = await auth.ensureFresh();
    if (before === "ended") throw auth.end();
    const sent = auth.token();
    try {
      return await call(...args);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      // Renewed meanwhile (the timer, another request's 401)? Then just repeat the request.
      const current = auth.token();
      const renewal = current && current !== sent ? "renewed" : await auth.renew();
      if (renewal === "unavailable") throw new ApiError(0, UNREACHABLE);
      if (renewal === "ended") throw auth.end();
      try {
        return await call(...args);
      } catch (again) {
        if (again instanceof ApiError && again.status === 401) throw auth.end();
        throw again;
      }
    }
  };
  return { get: guarded(api.get), post: guarded(api.post), put: guarded(api.put), delete: guarded(api.delete) };
}

async function fingerprint(text) {
  return sha256Base64Url(`rd.session:${text}`);
}

function randomString(bytes) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha256Base64Url(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return base64Url(new Uint8Array(digest));
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Sign-in. Locally ("auth": "dev") a dispatcher types their email and the local gateway issues
// a dev token. In AWS ("auth": "cognito") the console uses the user pool's Hosted UI with the
// OAuth 2.0 authorization code flow and PKCE: Cognito handles passwords, first-time password
// change and TOTP MFA, and the console never sees a password. The ID token (what the API's
// Cognito authorizer checks) lives in sessionStorage: gone when the tab closes.

const TOKEN_KEY = "rd.idToken";
const PKCE_KEY = "rd.pkce";
const EXPIRY_MARGIN_SECONDS = 60;

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

function isFresh(token) {
  const claims = token && decodeClaims(token);
  return Boolean(claims && Number(claims.exp) - EXPIRY_MARGIN_SECONDS > Date.now() / 1000);
}

export class SignInError extends Error {}

export function createAuth(config) {
  const apiBase = (config.apiBaseUrl || "").replace(/\/+$/, "");
  const mode = config.auth === "cognito" ? "cognito" : "dev";
  const domain = (config.domain || "").replace(/\/+$/, "");
  // The console's own address is the OAuth redirect URI (registered on the app client).
  const redirectUri = new URL(".", window.location.href).href;

  function token() {
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if (stored && isFresh(stored)) return stored;
    if (stored) sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }

  function claims() {
    const current = token();
    return current ? decodeClaims(current) : null;
  }

  async function signInDev(email) {
    let response;
    try {
      const url = new URL(`${apiBase}/dev/token`, window.location.href);
      url.searchParams.set("dispatcher", email);
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch {
      throw new SignInError("Can't reach the local stack. Is `make dev` running?");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok || !data.token) {
      throw new SignInError(data.message || `Sign-in failed (${response.status}).`);
    }
    sessionStorage.setItem(TOKEN_KEY, data.token);
  }

  async function startHostedSignIn() {
    const verifier = randomString(64);
    const state = randomString(24);
    sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    const url = new URL(`${domain}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: config.clientId,
      redirect_uri: redirectUri,
      scope: "openid email profile",
      state,
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
    // Drop ?code= from the address bar and history: it is single-use, and not to be shared.
    window.history.replaceState(null, "", redirectUri + window.location.hash);
    if (error) throw new SignInError(`Sign-in was not completed: ${error}`);
    if (!saved || saved.state !== params.get("state")) {
      throw new SignInError("The sign-in response did not match this browser tab. Sign in again.");
    }
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
    }).catch(() => null);
    const data = response ? await response.json().catch(() => ({})) : {};
    if (!response || !response.ok || !data.id_token) {
      throw new SignInError(data.error_description || "Sign-in failed. Try again.");
    }
    sessionStorage.setItem(TOKEN_KEY, data.id_token);
    return true;
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
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

  function forget() {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  return { mode, token, claims, signInDev, startHostedSignIn, completeRedirect, signOut, forget };
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

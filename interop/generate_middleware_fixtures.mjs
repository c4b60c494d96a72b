// Writes tests/fixtures/withauth_cases.json (`npm run fixtures:middleware`): what the real
// next-auth 4.24.x `withAuth` (next-auth/middleware) does with real NextRequests, case by case,
// so the Python WithAuth can be checked against it. Tokens carry random IVs and jti, so every
// run produces new tokens; ids, order and decisions stay the same.
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { v4, v5, withEnv, scrubAuthEnv, quietLogger, versions, AUTH_ENV } from "./lib.mjs";
import { runWithAuth, AUTHORIZED } from "./ops_middleware.mjs";

scrubAuthEnv();
const OUT = fileURLToPath(new URL("../tests/fixtures/withauth_cases.json", import.meta.url));

const SECRET = "withauth-fixture-secret";
const OTHER_SECRET = "some-other-secret";
const COOKIE = "next-auth.session-token";
const SECURE_COOKIE = "__Secure-next-auth.session-token";
const YEAR = 365 * 24 * 60 * 60;
const MAX_AGE = 10 * YEAR; // v4 computes exp in 32-bit arithmetic: stay before 2038
if (Math.floor(Date.now() / 1000) + MAX_AGE >= 2 ** 31) throw new Error("10 years from now is past 2038: lower MAX_AGE");

// --- tokens ----------------------------------------------------------------------------------
const encode4 = (token, { secret = SECRET, maxAge = MAX_AGE } = {}) => v4.jwt.encode({ token, secret, maxAge });
const decodes = async (jwt, secret = SECRET) => {
  try {
    return (await v4.jwt.decode({ token: jwt, secret })) !== null;
  } catch {
    return false;
  }
};

const ADMIN = { name: "Ada Lovelace", email: "ada@example.com", sub: "user-1", role: "admin" };
const USER = { name: "Bob Builder", email: "bob@example.com", sub: "user-2", role: "user" };

/** One character of the ciphertext (4th segment) changed. */
function tamper(jwt) {
  const parts = jwt.split(".");
  const ct = parts[3];
  const i = Math.floor(ct.length / 2);
  parts[3] = `${ct.slice(0, i)}${ct[i] === "A" ? "B" : "A"}${ct.slice(i + 1)}`;
  return parts.join(".");
}

/** The cookies next-auth itself writes for a session value too long for one cookie. */
function chunkCookies(value, name = COOKIE) {
  const option = { ...v4.cookie.defaultCookies(name.startsWith("__Secure-")).sessionToken, name };
  const store = new v4.cookie.SessionStore(option, { cookies: {}, headers: {} }, quietLogger);
  return store.chunk(value, {}).map(({ name: n, value: v }) => [n, v]);
}

const validAdmin = await encode4(ADMIN);
const bigClaims = {
  ...ADMIN,
  groups: Array.from({ length: 180 }, (_, i) => `group-${String(i).padStart(5, "0")}-abcdefghijklmnop`),
};
const chunked = chunkCookies(await encode4(bigClaims));
if (chunked.length < 2) throw new Error("the large token did not need chunking");

/** label -> a JWT string, or a complete list of [cookie name, value] (chunks). */
const tokens = {
  valid_admin: validAdmin,
  valid_user: await encode4(USER),
  nested_admin: await encode4({ name: "Nia Nested", email: "nia@example.com", sub: "user-3", user: { isAdmin: true } }),
  nested_user: await encode4({ name: "Ned Nested", email: "ned@example.com", sub: "user-4", user: { isAdmin: false } }),
  expired: await encode4(ADMIN, { maxAge: -3600 }),
  tampered: tamper(validAdmin),
  other_secret: await encode4(ADMIN, { secret: OTHER_SECRET }),
  garbage: "not-a-jwt",
  v5_admin: await v5.jwt.encode({ token: ADMIN, secret: SECRET, salt: "authjs.session-token" }),
  chunked_admin: chunked,
};
// Sanity: the tokens are what their labels say.
for (const [label, good] of Object.entries({
  valid_admin: true, valid_user: true, nested_admin: true, nested_user: true, expired: false,
  tampered: false, other_secret: false, garbage: false, v5_admin: false,
})) {
  if ((await decodes(tokens[label])) !== good) throw new Error(`token ${label}: decode ${good ? "failed" : "succeeded"}`);
}
if (!(await decodes(tokens.other_secret, OTHER_SECRET))) throw new Error("other_secret does not decode with its secret");
if (!(await decodes(chunked.map(([, v]) => v).join("")))) throw new Error("chunks do not join into a valid token");

// --- cases -----------------------------------------------------------------------------------
const H = "http://localhost:3000";
const BP = "/custom-base-path";
const cases = [];
const ids = new Set();

/**
 * One case. `token`: a label put in cookie `cookie` (default next-auth.session-token; chunk
 * lists bring their own names); `bearer`: a label sent as `Authorization: Bearer <token>`
 * (`bearerScheme` replaces "Bearer");
 * `secret`: options.secret (default SECRET; null = absent); `pages`, `cookieName`
 * (options.cookies.sessionToken.name), `authorized` (a canned callback name), `middleware`
 * ("record" = withAuth(fn, options), "none" = withAuth(options)), `env` (only these auth
 * vars are set), `looser` (why next-auth is looser than asgi_withauth means to be), `note`.
 */
function add(id, {
  url, method = "GET", basePath = null, headers = {}, env = {}, token = null, cookie = COOKIE, cookies = [],
  bearer = null, bearerScheme = "Bearer", pages = null, secret = SECRET, cookieName = null, authorized = "default",
  middleware = "record", looser = null, note = null,
}) {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`bad id ${id}`);
  if (ids.has(id)) throw new Error(`duplicate id ${id}`);
  if (!Object.hasOwn(AUTHORIZED, authorized)) throw new Error(`${id}: unknown callback ${authorized}`);
  ids.add(id);
  const cookieRefs = [...cookies];
  if (token !== null) cookieRefs.push(Array.isArray(tokens[token]) ? [null, token] : [cookie, token]);
  for (const [, label] of cookieRefs) if (!Object.hasOwn(tokens, label)) throw new Error(`${id}: unknown token ${label}`);
  if (bearer !== null && !Object.hasOwn(tokens, bearer)) throw new Error(`${id}: unknown token ${bearer}`);
  cases.push({
    id,
    request: {
      url, method, basePath, cookies: cookieRefs, authorization: bearer === null ? null : [bearerScheme, bearer], headers, env,
    },
    options: {
      pages, secret_present: secret !== null, secret, cookie_name: cookieName, authorized, middleware,
    },
    ...(looser && { nextauth_looser: looser }),
    ...(note && { note }),
  });
}

/** The concrete bridge params of a case. */
function concrete(c) {
  const { request: r, options: o } = c;
  const pairs = [];
  for (const [name, label] of r.cookies) {
    const v = tokens[label];
    if (Array.isArray(v)) pairs.push(...v);
    else pairs.push([name, v]);
  }
  const headers = { ...r.headers };
  if (r.authorization) headers.authorization = `${r.authorization[0]} ${tokens[r.authorization[1]]}`;
  const options = {};
  if (o.pages) options.pages = o.pages;
  if (o.secret !== null) options.secret = o.secret;
  if (o.cookie_name) options.cookies = { sessionToken: { name: o.cookie_name } };
  return {
    env: r.env,
    params: {
      url: r.url, method: r.method, headers, cookies: pairs, basePath: r.basePath ?? undefined,
      options, authorized: o.authorized, middleware: o.middleware,
    },
  };
}

// 1. Paths: no basePath, default pages, NEXTAUTH_URL unset, secret given, no token.
const LOOSE_PREFIX = "public/auth paths are matched with startsWith, not on segment boundaries";
const paths = [
  ["root", "/"],
  ["protected", "/protected"],
  ["protected-patha", "/protected/pathA"],
  ["api-data", "/api/data"],
  ["api-auth-session", "/api/auth/session"],
  ["api-auth-exact", "/api/auth"],
  ["api-auth-signin", "/api/auth/signin"],
  ["api-auth-error", "/api/auth/error"],
  ["api-auth-callback", "/api/auth/callback/github?code=abc&state=x%20y"],
  ["api-authx", "/api/authx", { looser: LOOSE_PREFIX }],
  ["api-auth-admin", "/api/auth-admin/users", { looser: LOOSE_PREFIX }],
  ["api-auth-uppercase", "/API/AUTH/session", { note: "matching is case-sensitive" }],
  ["next-static", "/_next/static/x.js"],
  ["nextfoo", "/_nextfoo", { looser: LOOSE_PREFIX }],
  ["next-encoded-underscore", "/%5Fnext/static/x.js", { note: "the URL parser does not decode %5F: not public" }],
  ["next-data", "/_next/data/build-id/protected.json", { note: "NextURL turns a /_next/data/<buildId>/<page>.json path into the page path (/protected): checked as /protected, not skipped as /_next" }],
  ["favicon", "/favicon.ico"],
  ["favicon-evil", "/favicon.ico.evil", { looser: LOOSE_PREFIX }],
  ["trailing-slash", "/protected/"],
  ["encoded-space", "/protected/a%20b"],
  ["encoded-slash", "/protected/a%2Fb"],
  ["encoded-unicode", "/protected/caf%C3%A9"],
  ["semicolon", "/protected;x=1"],
  ["dot-segments", "/public/../protected", { note: "the URL parser resolves dot segments before withAuth sees the path (a browser would too)" }],
  ["encoded-dot-segments", "/public/%2e%2e/protected", { note: "WHATWG URL treats %2e%2e as a .. segment: withAuth sees /protected" }],
  ["double-slash", "//protected", { note: "next start answers 308 to a path with // or \\ before middleware runs" }],
  ["query-simple", "/protected?a=1&b=2"],
  ["query-space", "/protected?q=a%20b", { note: "%20 in the query becomes %2520 in callbackUrl" }],
  ["query-plus", "/protected?q=a+b"],
  ["query-equals", "/protected?x==y&z"],
  ["query-unicode", "/protected?q=%E6%97%A5%E6%9C%AC"],
  ["query-stray-percent", "/protected?p=100%"],
  ["query-encoded-amp", "/protected?q=a%26b%3Dc"],
  ["query-empty", "/protected?", { note: "an empty query is dropped: search is \"\"" }],
  ["query-slash-question", "/protected?next=/a?b"],
  ["fragment", "/protected#section", { note: "the fragment is dropped (and never sent over HTTP anyway)" }],
  ["query-fragment", "/protected?q=1#section", { note: "the fragment is dropped (and never sent over HTTP anyway)" }],
];
for (const [id, p, extra = {}] of paths) add(`path-${id}`, { url: `${H}${p}`, ...extra });

// 2. The same machinery with a valid token: the inner middleware sees req.nextauth.token, but
//    not on skipped paths (withAuth returns before calling it).
for (const [id, p, extra = {}] of [
  ["root", "/"],
  ["protected", "/protected"],
  ["api-data", "/api/data"],
  ["query-space", "/protected?q=a%20b"],
  ["api-auth-session", "/api/auth/session", { note: "skipped path: the inner middleware is not called at all" }],
  ["next-static", "/_next/static/x.js", { note: "skipped path: the inner middleware is not called at all" }],
]) add(`token-path-${id}`, { url: `${H}${p}`, token: "valid_admin", ...extra });

// 3. basePath (Next's basePath config): NextURL strips it from pathname and sets nextUrl.basePath.
add("bp-protected-patha", { url: `${H}${BP}/protected/pathA`, basePath: BP });
add("bp-root", { url: `${H}${BP}`, basePath: BP });
add("bp-root-slash", { url: `${H}${BP}/`, basePath: BP });
add("bp-query", { url: `${H}${BP}/protected?q=a%20b&x=1`, basePath: BP });
add("bp-api-auth-session", {
  url: `${H}${BP}/api/auth/session`, basePath: BP,
  note: "basePath + pathname = /custom-base-path/api/auth/session does not start with the default auth path /api/auth: redirected",
});
add("bp-api-auth-session-nextauth-url", {
  url: `${H}${BP}/api/auth/session`, basePath: BP, env: { NEXTAUTH_URL: `${H}${BP}/api/auth` },
  note: "with NEXTAUTH_URL including the basePath, the auth routes are skipped",
});
add("bp-api-auth-signin", {
  url: `${H}${BP}/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected`, basePath: BP,
  note: "skipped because pathname (basePath stripped) equals the signIn page",
});
add("bp-next-static", { url: `${H}${BP}/_next/static/x.js`, basePath: BP });
add("bp-favicon", { url: `${H}${BP}/favicon.ico`, basePath: BP });
add("bp-outside-base", {
  url: `${H}/protected`, basePath: BP,
  note: "a path outside the basePath: nextUrl.basePath is \"\" and pathname is the whole path",
});
add("bp-lookalike-prefix", {
  url: `${H}${BP}X/protected`, basePath: BP,
  note: "basePath is stripped on a segment boundary only: /custom-base-pathX is outside it",
});
add("bp-valid-token", { url: `${H}${BP}/protected`, basePath: BP, token: "valid_admin" });
add("bp-signin-login", { url: `${H}${BP}/protected`, basePath: BP, pages: { signIn: "/login" } });
add("bp-signin-login-itself", { url: `${H}${BP}/login`, basePath: BP, pages: { signIn: "/login" } });
add("bp-signin-login-query", { url: `${H}${BP}/protected?x=1`, basePath: BP, pages: { signIn: "/login?from=x" } });
add("bp-signin-absolute", {
  url: `${H}${BP}/protected`, basePath: BP, pages: { signIn: "https://auth.example.com/login" },
  note: "basePath is glued in front of the absolute URL: the Location is a path on this origin, not the other host",
});
add("bp-no-secret", { url: `${H}${BP}/protected`, basePath: BP, secret: null });
add("bp-no-secret-error-page", { url: `${H}${BP}/protected`, basePath: BP, secret: null, pages: { error: "/oops" } });
add("bp-host-127", { url: `http://127.0.0.1${BP}/protected/pathA`, basePath: BP, note: "NextURL rewrites 127.x.x.x, [::1] and localhost hosts to localhost" });
add("bp-host-8443", { url: `https://app.example.com:8443${BP}/protected?x=1`, basePath: BP });

// 4. pages options.
add("pages-signin-login", { url: `${H}/protected?x=1`, pages: { signIn: "/login" } });
add("pages-signin-login-itself", { url: `${H}/login`, pages: { signIn: "/login" } });
add("pages-signin-login-itself-query", { url: `${H}/login?callbackUrl=%2Fprotected`, pages: { signIn: "/login" } });
add("pages-signin-login-trailing-slash", { url: `${H}/login/`, pages: { signIn: "/login" }, note: "only the exact pathname is skipped" });
add("pages-signin-login-subpath", { url: `${H}/login/extra`, pages: { signIn: "/login" } });
add("pages-signin-login-query", { url: `${H}/protected?x=1`, pages: { signIn: "/login?from=x" } });
add("pages-signin-login-query-itself", {
  url: `${H}/login?from=x`, pages: { signIn: "/login?from=x" },
  note: "pathname /login never equals \"/login?from=x\": the sign-in page itself is protected (a redirect loop)",
});
add("pages-signin-absolute", { url: `${H}/protected?x=1`, pages: { signIn: "https://auth.example.com/login" } });
add("pages-signin-absolute-query", { url: `${H}/protected/pathA`, pages: { signIn: "https://auth.example.com/login?app=1" } });
add("pages-signin-absolute-login-path", { url: `${H}/login`, pages: { signIn: "https://auth.example.com/login" }, note: "an absolute signIn never equals a pathname" });
add("pages-signin-no-leading-slash", { url: `${H}/protected`, pages: { signIn: "login" } });
add("pages-signin-no-secret", { url: `${H}/protected`, pages: { signIn: "/login" }, secret: null });
add("pages-signin-no-secret-itself", { url: `${H}/login`, pages: { signIn: "/login" }, secret: null });
add("pages-error-itself", { url: `${H}/oops`, pages: { error: "/oops" } });
add("pages-error-signin-unchanged", { url: `${H}/protected`, pages: { error: "/oops" } });
add("pages-error-no-secret", { url: `${H}/protected`, pages: { error: "/oops" }, secret: null });
add("pages-error-no-secret-itself", { url: `${H}/oops`, pages: { error: "/oops" }, secret: null });
add("pages-error-query-no-secret", { url: `${H}/protected`, pages: { error: "/oops?x=1" }, secret: null });
add("pages-error-absolute-no-secret", { url: `${H}/protected`, pages: { error: "https://auth.example.com/error" }, secret: null });
add("pages-both-login-oops", { url: `${H}/protected/pathA?q=a%20b`, pages: { signIn: "/login", error: "/oops" } });

// 5. NEXTAUTH_URL: only its path matters to withAuth (the auth path to skip) and, through
//    getToken, its scheme (https -> the __Secure- cookie name). Redirects use the request origin.
const NU_LOCAL = { NEXTAUTH_URL: "http://localhost:3000" };
const NU_A = { NEXTAUTH_URL: "https://example.com/a" };
const NU_CUSTOM = { NEXTAUTH_URL: "https://example.com/custom/auth/path" };
add("nextauth-url-localhost-auth-session", { url: `${H}/api/auth/session`, env: NU_LOCAL });
add("nextauth-url-localhost-protected", { url: `${H}/protected`, env: NU_LOCAL });
add("nextauth-url-trailing-slash-auth-session", { url: `${H}/api/auth/session`, env: { NEXTAUTH_URL: "http://localhost:3000/api/auth/" } });
add("nextauth-url-a-session", { url: `${H}/a/session`, env: NU_A });
add("nextauth-url-a-admin", { url: `${H}/admin`, env: NU_A, looser: LOOSE_PREFIX });
add("nextauth-url-a-api-auth-session", { url: `${H}/api/auth/session`, env: NU_A, looser: LOOSE_PREFIX, note: "skipped only because \"/api/auth/session\" starts with \"/a\"" });
add("nextauth-url-a-api-data", { url: `${H}/api/data`, env: NU_A, looser: LOOSE_PREFIX, note: "every path starting with \"/a\" (all of /api) goes unchecked" });
add("nextauth-url-a-api-auth-signin", { url: `${H}/api/auth/signin`, env: NU_A, note: "skipped: it is the default signIn page (and starts with \"/a\")" });
add("nextauth-url-a-protected", { url: `${H}/protected?x=1`, env: NU_A, note: "the redirect uses the request origin and the signIn page, not NEXTAUTH_URL" });
add("nextauth-url-a-plain-cookie", {
  url: `${H}/protected`, env: NU_A, token: "valid_admin",
  note: "an https NEXTAUTH_URL makes getToken read __Secure-next-auth.session-token only",
});
add("nextauth-url-a-secure-cookie", { url: `${H}/protected`, env: NU_A, token: "valid_admin", cookie: SECURE_COOKIE });
add("nextauth-url-custom-session", { url: `${H}/custom/auth/path/session`, env: NU_CUSTOM });
add("nextauth-url-custom-pathology", { url: `${H}/custom/auth/pathology`, env: NU_CUSTOM, looser: LOOSE_PREFIX });
add("nextauth-url-custom-api-auth-session", { url: `${H}/api/auth/session`, env: NU_CUSTOM });
add("nextauth-url-custom-protected", { url: `${H}/protected`, env: NU_CUSTOM });
add("nextauth-url-no-scheme-auth", {
  url: `${H}/auth/session`, env: { NEXTAUTH_URL: "example.com/auth" },
  note: "parseUrl prefixes https:// to a scheme-less NEXTAUTH_URL: the auth path is /auth",
});
add("nextauth-url-no-scheme-plain-cookie", {
  url: `${H}/protected`, env: { NEXTAUTH_URL: "example.com/auth" }, token: "valid_admin",
  note: "getToken tests the raw NEXTAUTH_URL for \"https://\": not secure, the plain cookie name is read",
});
add("vercel-plain-cookie", { url: `${H}/protected`, env: { VERCEL: "1" }, token: "valid_admin", note: "VERCEL set: getToken reads the __Secure- cookie name" });
add("vercel-secure-cookie", { url: `${H}/protected`, env: { VERCEL: "1" }, token: "valid_admin", cookie: SECURE_COOKIE });

// 6. Secret.
add("secret-none", { url: `${H}/protected`, secret: null });
add("secret-none-query", { url: `${H}/protected?q=a%20b`, secret: null, note: "the error redirect carries no callbackUrl" });
add("secret-none-valid-token", { url: `${H}/protected`, secret: null, token: "valid_admin" });
add("secret-none-api-auth-session", { url: `${H}/api/auth/session`, secret: null, note: "skips come before the secret check" });
add("secret-none-next-static", { url: `${H}/_next/static/x.js`, secret: null });
add("secret-env-nextauth", { url: `${H}/protected`, secret: null, env: { NEXTAUTH_SECRET: SECRET }, token: "valid_admin" });
add("secret-env-auth", { url: `${H}/protected`, secret: null, env: { AUTH_SECRET: SECRET }, token: "valid_admin" });
add("secret-env-nextauth-before-auth", {
  url: `${H}/protected`, secret: null, env: { NEXTAUTH_SECRET: OTHER_SECRET, AUTH_SECRET: SECRET }, token: "valid_admin",
});
add("secret-option-before-env", { url: `${H}/protected`, env: { NEXTAUTH_SECRET: OTHER_SECRET }, token: "valid_admin" });
add("secret-option-empty-string", {
  url: `${H}/protected`, secret: "", env: { NEXTAUTH_SECRET: SECRET }, token: "valid_admin",
  note: "secret: \"\" is not nullish, so the env is not consulted, and \"\" counts as no secret",
});
add("secret-wrong", { url: `${H}/protected`, secret: OTHER_SECRET, token: "valid_admin" });

// 7. Tokens x authorized callbacks, on /protected.
const CALLBACKS = Object.keys(AUTHORIZED);
const LOOSE_NULLISH = "authorized returning null/undefined falls back to \"has a token\"";
for (const cb of CALLBACKS) {
  for (const tok of [null, "valid_admin", "valid_user"]) {
    const nullish = ["returns_null", "returns_undefined"].includes(cb) || (cb === "user_is_admin" && tok !== null);
    add(`cb-${cb.replaceAll("_", "-")}-${tok === null ? "absent" : tok.replaceAll("_", "-")}`, {
      url: `${H}/protected?x=1`, token: tok, authorized: cb,
      ...(nullish && tok !== null && { looser: LOOSE_NULLISH }),
      ...(cb === "throws" && { note: "the callback's exception propagates out of the middleware: Next answers 500" }),
    });
  }
}
add("cb-user-is-admin-nested-admin", { url: `${H}/protected`, token: "nested_admin", authorized: "user_is_admin" });
add("cb-user-is-admin-nested-user", { url: `${H}/protected`, token: "nested_user", authorized: "user_is_admin", note: "false (not undefined): denied" });
add("cb-role-admin-nested-admin", { url: `${H}/protected`, token: "nested_admin", authorized: "role_admin" });
add("cb-always-true-tampered", { url: `${H}/protected`, token: "tampered", authorized: "always_true", note: "allowed; the inner middleware sees token null" });
add("cb-returns-truthy-string-expired", { url: `${H}/protected`, token: "expired", authorized: "returns_truthy_string" });
add("cb-role-admin-chunked", { url: `${H}/protected`, token: "chunked_admin", authorized: "role_admin" });
add("cb-returns-null-expired", { url: `${H}/protected`, token: "expired", authorized: "returns_null" });
for (const tok of ["expired", "tampered", "other_secret", "garbage", "v5_admin", "chunked_admin", "nested_admin", "nested_user"]) {
  add(`token-${tok.replaceAll("_", "-")}`, { url: `${H}/protected`, token: tok });
}

// 8. Cookie names and the Authorization header.
add("cookie-custom-name", { url: `${H}/protected`, cookieName: "my-session", token: "valid_admin", cookie: "my-session" });
add("cookie-custom-name-default-ignored", { url: `${H}/protected`, cookieName: "my-session", token: "valid_admin" });
add("cookie-custom-name-prefix", {
  url: `${H}/protected`, cookieName: "my-session", token: "valid_admin", cookie: "my-session-legacy",
  looser: "cookies are selected with name.startsWith(cookieName)",
});
add("cookie-default-suffix-x", {
  url: `${H}/protected`, token: "valid_admin", cookie: `${COOKIE}X`,
  looser: "cookies are selected with name.startsWith(cookieName)",
});
add("cookie-stray-suffix-breaks-session", {
  url: `${H}/protected`, token: "valid_admin", cookies: [[`${COOKIE}.evil`, "garbage"]],
  note: "every cookie starting with the name is joined into the token: a stray one breaks a real session",
});
add("cookie-secure-name-not-read", { url: `${H}/protected`, token: "valid_admin", cookie: SECURE_COOKIE, note: "NEXTAUTH_URL unset: only the plain name is read" });
add("cookie-bearer", { url: `${H}/protected`, bearer: "valid_admin" });
add("cookie-bearer-lowercase-scheme", { url: `${H}/protected`, bearer: "valid_admin", bearerScheme: "bearer", note: "the scheme must be exactly \"Bearer\"" });
add("cookie-garbage-hides-bearer", { url: `${H}/protected`, token: "garbage", bearer: "valid_admin", note: "any cookie wins over the header, even an undecodable one" });
add("cookie-bearer-invalid", { url: `${H}/protected`, bearer: "tampered" });

// 9. Hosts and schemes: the redirect origin is nextUrl.origin.
const LOCALHOST_NOTE = "NextURL rewrites 127.x.x.x, [::1] and localhost hosts to localhost";
add("host-127", { url: "http://127.0.0.1/protected", note: LOCALHOST_NOTE });
add("host-127-port-query", { url: "http://127.0.0.1:8080/protected?x=1", note: LOCALHOST_NOTE });
add("host-ipv6-loopback", { url: "http://[::1]:3000/protected", note: LOCALHOST_NOTE });
add("host-127-next-static", { url: "http://127.0.0.1/_next/static/x.js" });
add("host-https-8443", { url: "https://app.example.com:8443/protected/pathA?x=1" });
add("host-https-443", { url: "https://app.example.com:443/protected", note: "the default port disappears from the origin" });
add("host-https-8443-no-secret", { url: "https://app.example.com:8443/protected", secret: null });
add("host-https-8443-valid-token", { url: "https://app.example.com:8443/protected", token: "valid_admin" });

// 10. Methods.
add("method-post", { url: `${H}/api/data`, method: "POST" });
add("method-post-valid-token", { url: `${H}/api/data`, method: "POST", token: "valid_admin" });
add("method-head", { url: `${H}/protected`, method: "HEAD" });
add("method-options-preflight", {
  url: `${H}/api/data`, method: "OPTIONS",
  headers: { origin: "https://front.example.com", "access-control-request-method": "POST" },
  note: "a CORS preflight carries no credentials and is redirected like any request",
});

// 11. withAuth(options) without an inner middleware.
add("mw-none-absent", { url: `${H}/protected`, middleware: "none" });
add("mw-none-valid-token", { url: `${H}/protected`, middleware: "none", token: "valid_admin" });
add("mw-none-next-static", { url: `${H}/_next/static/x.js`, middleware: "none" });

// 12. next-auth's own packages/next-auth/tests/middleware.test.ts (v4 branch, next-auth@4.24.15),
//     re-expressed as data. Upstream passes a mock nextUrl with origin http://127.0.0.1; here a
//     real NextRequest for that URL (whose origin becomes http://localhost), like Next builds it.
const UP = { secret: "secret", middleware: "none", headers: { authorization: "" } };
add("upstream-pages-not-public-paths", {
  url: "http://127.0.0.1/protected/pathA", pages: { signIn: "/", error: "/" }, ...UP,
  note: "upstream 'should not match pages as public paths': status 307",
});
add("upstream-no-redirect-on-public-paths", {
  url: "http://127.0.0.1/_next/foo", ...UP,
  note: "upstream 'should not redirect on public paths': undefined (carry on)",
});
add("upstream-redirect-basepath", {
  url: "http://127.0.0.1/custom-base-path/protected/pathA", basePath: BP, ...UP,
  note: "upstream 'should redirect according to nextUrl basePath' (1st): 307, Location contains http://127.0.0.1/custom-base-path/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected%2FpathA (with a mock nextUrl; a real NextRequest reports origin http://localhost)",
});
add("upstream-redirect-basepath-then", {
  url: "http://127.0.0.1/custom-base-path/protected/pathA", basePath: BP, ...UP,
  note: "upstream 'should redirect according to nextUrl basePath' (2nd, first request): same as upstream-redirect-basepath",
});
add("upstream-redirect-basepath-follow", {
  url: "http://127.0.0.1/custom-base-path/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected%2FpathA", basePath: BP, ...UP,
  note: "upstream 'should redirect according to nextUrl basePath' (2nd, following the redirect): undefined, the sign-in page is served",
});

// --- run ------------------------------------------------------------------------------------
const counts = {};
for (const c of cases) {
  const { env, params } = concrete(c);
  const r = await withEnv(env, () => runWithAuth(params));
  for (const k of AUTH_ENV) if (process.env[k] !== undefined) throw new Error(`${c.id}: ${k} leaked out of withEnv`);
  c.expect = {
    action: r.action,
    status: r.status,
    location: r.location,
    headers: r.headers,
    token_seen: r.token_seen_by_middleware,
    inner_called: r.inner_called,
    next_url: r.next_url,
    ...(r.error && { error: r.error }),
    ...(r.logged.length && { logged: r.logged }),
  };
  counts[r.action] = (counts[r.action] ?? 0) + 1;
}

// Upstream's own assertions, checked here against the real run (origin aside).
const byId = Object.fromEntries(cases.map((c) => [c.id, c.expect]));
const must = (cond, msg) => { if (!cond) throw new Error(`upstream assertion failed: ${msg}`); };
must(byId["upstream-pages-not-public-paths"].status === 307, "pages not public");
must(byId["upstream-no-redirect-on-public-paths"].action === "next", "public paths");
for (const id of ["upstream-redirect-basepath", "upstream-redirect-basepath-then"]) {
  must(byId[id].status === 307 && byId[id].location.endsWith("/custom-base-path/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected%2FpathA"), id);
}
must(byId["upstream-redirect-basepath-follow"].action === "next", "follow redirect");

if (cases.length < 60) throw new Error(`only ${cases.length} cases`);
const doc = {
  generated_by: "interop/generate_middleware_fixtures.mjs (npm run fixtures:middleware)",
  packages: versions,
  secret: SECRET,
  other_secret: OTHER_SECRET,
  tokens,
  cases,
};
mkdirSync(fileURLToPath(new URL("../tests/fixtures/", import.meta.url)), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${OUT}: ${cases.length} cases ${JSON.stringify(counts)}`);

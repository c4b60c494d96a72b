// The `serverSession` bridge op: runs the real session logic of next-auth v4 (getServerSession)
// and Auth.js v5 (the /api/auth/session route through @auth/core's Auth(), or next-auth v5's
// auth()) on one Cookie header, and reports the session and the Set-Cookie headers it produced.
// See README.md beside this file.
import { createRequire, register } from "node:module";
import { collectingResponse, recorder, withEnv } from "./lib.mjs";

const require = createRequire(import.meta.url);

// next-auth v4 (CommonJS): the real getServerSession, and the cookie parser Next's pages-router
// API routes use to fill req.cookies.
const v4Next = require("next-auth/next");
const { getCookieParser } = require("next/dist/server/api-utils/get-cookie-parser");

// @auth/core (v5's own copy, resolved through next-auth-v5, never the hoisted 0.34.3).
const v5Require = createRequire(require.resolve("next-auth-v5/jwt"));
const { Auth } = await import(v5Require.resolve("@auth/core"));

// next-auth v5's main module imports "next/server", "next/headers", "next/navigation" without
// an extension, which only Next's bundler resolves (next 15 has no "exports" map). This hook
// adds ".js" for those bare specifiers, and only for imports made from next-auth-v5's files.
// It is registered here but next-auth-v5 itself is imported lazily (impl "auth" only).
register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, nextResolve) {
  if (/^next\\/[a-z-]+$/.test(specifier) && context.parentURL?.includes("/node_modules/next-auth-v5/")) {
    return nextResolve(specifier + ".js", context);
  }
  return nextResolve(specifier, context);
}`)}`,
);
let v5NextAuth;
const loadNextAuthV5 = async () => (v5NextAuth ??= (await import("next-auth-v5")).default);

export const BIG_CLAIM_LENGTH = 9000;

/**
 * Canned `callbacks`, by name. The Python tests implement the same ones under the same names.
 * "none": no callbacks (the package defaults). Mutations are in place on purpose: that is what
 * most user code does, and next-auth passes the same objects along.
 */
export const CALLBACKS = {
  none: {},
  add_id: {
    session({ session, token }) {
      session.user.id = token.sub;
      return session;
    },
  },
  jwt_role: {
    jwt({ token }) {
      token.role = "admin";
      return token;
    },
  },
  session_mutates_token: {
    session({ session, token }) {
      token.touched = true;
      return session;
    },
  },
  jwt_throws: {
    jwt() {
      throw new Error("jwt callback failed");
    },
  },
  session_throws: {
    session() {
      throw new Error("session callback failed");
    },
  },
  jwt_returns_null: { jwt: () => null },
  session_returns_null: { session: () => null },
  session_returns_empty: { session: () => ({}) },
  big: {
    jwt({ token }) {
      token.big = "b".repeat(BIG_CLAIM_LENGTH);
      return token;
    },
  },
  // Resizing a token: to 3 chunks (a 7000-character claim), to 2, or back to one cookie.
  grow3: {
    jwt({ token }) {
      token.big = "g".repeat(7000);
      return token;
    },
  },
  shrink2: {
    jwt({ token }) {
      token.big = String(token.big ?? "").slice(0, 4000);
      return token;
    },
  },
  drop_big: {
    jwt({ token }) {
      delete token.big;
      return token;
    },
  },
  // The jwt callback renames the user, in place (same object) or on a copy.
  jwt_renames: {
    jwt({ token }) {
      token.name = "Renamed";
      return token;
    },
  },
  jwt_renames_copy: { jwt: ({ token }) => ({ ...token, name: "Renamed" }) },
};

export const IMPLS = { 4: ["getServerSession"], 5: ["route", "auth"] };


/**
 * Runs the real session logic once. Params: `version`, `cookie` (the raw Cookie header, "" for
 * none), `secret` (absent: none), `callbacks` (a name in CALLBACKS), `maxAge?` (session.maxAge),
 * `secure?` (https: v4 gets NEXTAUTH_URL=https://localhost:3000, v5 an https URL),
 * `cookies?` (the `cookies` option as JSON), `impl?` (v4: "getServerSession"; v5: "route", the
 * default, or "auth"). Result: {impl, session, status, setCookie: [...], logged: [...]}.
 */
export async function serverSession({
  version, cookie = "", secret, callbacks = "none", maxAge, secure = false, cookies, impl,
}) {
  if (typeof cookie !== "string") throw new TypeError("`cookie` must be the Cookie header, a string");
  if (!Object.hasOwn(CALLBACKS, callbacks)) throw new TypeError(`unknown callbacks ${JSON.stringify(callbacks)}`);
  impl ??= IMPLS[version][0];
  if (!IMPLS[version].includes(impl)) throw new TypeError(`impl for v${version} must be one of ${IMPLS[version].join(", ")}`);
  const logged = [];
  const options = {
    providers: [],
    callbacks: { ...CALLBACKS[callbacks] },
    logger: recorder(logged),
    ...(secret !== undefined && { secret }),
    ...(cookies !== undefined && { cookies }),
  };
  const session = { ...(maxAge !== undefined && { maxAge }) };
  const headers = { host: "localhost:3000", "x-forwarded-proto": secure ? "https" : "http", ...(cookie && { cookie }) };

  if (version === 4) {
    const req = { headers, cookies: getCookieParser(headers)() };
    const res = collectingResponse();
    const run = () => v4Next.getServerSession(req, res, { ...options, session: { strategy: "jwt", ...session } });
    const result = await (secure ? withEnv({ NEXTAUTH_URL: "https://localhost:3000" }, run) : run());
    return { impl, session: result ?? null, status: 200, setCookie: res.setCookies(), logged };
  }

  const config = { ...options, trustHost: true, basePath: "/api/auth", session };
  if (impl === "route") {
    const url = `${secure ? "https" : "http"}://localhost:3000/api/auth/session`;
    const response = await Auth(new Request(url, { headers: cookie ? { cookie } : {} }), config);
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { impl, session: body, status: response.status, setCookie: response.headers.getSetCookie(), logged };
  }
  // next-auth v5's auth() in its API-route form: auth(req, res) appends to res.headers.
  const NextAuth = await loadNextAuthV5();
  const res = { headers: new Headers() };
  const result = await NextAuth(config).auth({ headers }, res);
  return { impl, session: result ?? null, status: 200, setCookie: res.headers.getSetCookie(), logged };
}

export const sessionOps = { serverSession };

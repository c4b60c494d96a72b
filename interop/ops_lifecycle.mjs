// The `lifecycle` bridge op: runs next-auth 4.24.15's and Auth.js 5's own session update
// (POST /api/auth/session with {csrfToken, data}, what useSession().update() and v5's
// unstable_update run) and sign-out (POST /api/auth/signout) on one Cookie header, and reports
// the status, the body and the Set-Cookie headers. See README.md beside this file.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { collectingResponse, recorder, withEnv } from "./lib.mjs";

const require = createRequire(import.meta.url);
const v4NextAuth = require("next-auth/next").default;
const { getCookieParser } = require("next/dist/server/api-utils/get-cookie-parser");
const v5Require = createRequire(require.resolve("next-auth-v5/jwt"));
const { Auth } = await import(v5Require.resolve("@auth/core"));

/**
 * Canned callbacks for updates, by name; tests/test_session_update.py implements the same ones.
 * The session callbacks record which parameters they got (JSON has no undefined: "none").
 */
export const UPDATE_CALLBACKS = {
  none: {},
  update_name: {
    jwt({ token, trigger, session }) {
      if (trigger === "update" && session?.name) token.name = session.name;
      return token;
    },
  },
  update_merge: {
    jwt: ({ token, trigger, session }) => (trigger === "update" ? { ...token, ...session } : token),
    session({ session, token, trigger, newSession }) {
      session.user.id = token.sub;
      session.seen = { trigger: trigger ?? "none", newSession: newSession ?? "none", role: token.role ?? "none" };
      return session;
    },
  },
  jwt_throws_on_update: {
    jwt({ token, trigger }) {
      if (trigger === "update") throw new Error("jwt callback failed");
      return token;
    },
  },
  // Database strategy: the session callback gets trigger and newSession.
  db_seen: {
    session({ session, user, trigger, newSession }) {
      return { ...session, seen: { trigger: trigger ?? "none", newSession: newSession ?? null, userId: user?.id ?? null } };
    },
  },
  db_throws_on_update: {
    session({ session, trigger }) {
      if (trigger === "update") throw new Error("session callback failed");
      return session;
    },
  },
};

const CSRF_TOKEN = "c".repeat(64);
const csrfCookieValue = (token, secret) => `${token}|${createHash("sha256").update(`${token}${secret}`).digest("hex")}`;

/**
 * Params: `version`, `action` ("update" | "signout"), `cookie` (the session cookies as a Cookie
 * header), `secret`, `callbacks` (a name in UPDATE_CALLBACKS), `data` (the update's data),
 * `maxAge?`, `secure?`, `csrf?` ("valid", the default; "missing"; "wrong": a token the cookie
 * does not hold), `adapter?` (an adapter object, used by ops_database). Result:
 * {status, body, setCookie: [...], logged: [...], csrfCookie} where csrfCookie is the csrf
 * cookie as sent (name=value), for the Python side to send too.
 */
export async function lifecycle({
  version, action, cookie = "", secret, callbacks = "none", data, maxAge, secure = false, csrf = "valid", adapter,
}) {
  if (!["update", "signout"].includes(action)) throw new TypeError(`unknown action ${JSON.stringify(action)}`);
  if (!Object.hasOwn(UPDATE_CALLBACKS, callbacks)) throw new TypeError(`unknown callbacks ${JSON.stringify(callbacks)}`);
  const logged = [];
  const csrfName = `${secure ? "__Host-" : ""}${version === 4 ? "next-auth" : "authjs"}.csrf-token`;
  const csrfCookie = `${csrfName}=${encodeURIComponent(csrfCookieValue(CSRF_TOKEN, secret))}`;
  const fullCookie = [cookie, csrf === "missing" ? "" : csrfCookie].filter(Boolean).join("; ");
  const posted = csrf === "wrong" ? "w".repeat(64) : CSRF_TOKEN;
  const body = action === "update" ? { csrfToken: posted, data } : { csrfToken: posted };
  const options = {
    providers: [],
    callbacks: { ...UPDATE_CALLBACKS[callbacks] },
    logger: recorder(logged),
    secret,
    ...(adapter !== undefined && { adapter }),
  };
  const session = { ...(adapter === undefined && { strategy: "jwt" }), ...(maxAge !== undefined && { maxAge }) };
  const route = action === "update" ? "session" : "signout";

  if (version === 4) {
    const headers = { host: "localhost:3000", "x-forwarded-proto": secure ? "https" : "http", ...(fullCookie && { cookie: fullCookie }) };
    const req = { method: "POST", headers, query: { nextauth: [route] }, body, cookies: getCookieParser(headers)() };
    const res = Object.assign(collectingResponse(), {
      statusCode: 200,
      sent: undefined,
      status(code) {
        this.statusCode = code;
        return this;
      },
      send(b) {
        this.sent = b;
      },
      json(b) {
        this.sent = b;
      },
      end() {},
    });
    const run = () => v4NextAuth(req, res, { ...options, session });
    await (secure ? withEnv({ NEXTAUTH_URL: "https://localhost:3000" }, run) : run());
    return { status: res.statusCode, body: res.sent ?? null, setCookie: res.setCookies(), logged, csrfCookie };
  }

  const url = `${secure ? "https" : "http"}://localhost:3000/api/auth/${route}`;
  const request = new Request(url, {
    method: "POST",
    headers: {
      ...(fullCookie && { cookie: fullCookie }),
      "content-type": action === "update" ? "application/json" : "application/x-www-form-urlencoded",
    },
    body: action === "update" ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  const response = await Auth(request, { ...options, trustHost: true, basePath: "/api/auth", session });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, setCookie: response.headers.getSetCookie(), logged, csrfCookie };
}

export const lifecycleOps = { lifecycle };

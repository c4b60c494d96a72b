// The database-session bridge ops: the real next-auth v4 getServerSession and the real Auth.js
// v5 Auth() session route with the `database` strategy, over @auth/pg-adapter and a `pg` Pool
// on the PostgreSQL server the Python tests start, at a clock the caller sets. Plus the
// adapter's own createUser / createSession / getSessionAndUser, so the tests can make rows
// with next-auth's code and read back what either side wrote. See README.md beside this file.
//
// Every op opens its own Pool and ends it before answering: nothing is cached between calls.
import { createRequire } from "node:module";
import path from "node:path";
import { collectingResponse, recorder, withEnv } from "./lib.mjs";
import { lifecycle } from "./ops_lifecycle.mjs";

const require = createRequire(import.meta.url);

const v4Next = require("next-auth/next");
// next-auth v4's core handler and its cookie writer are not in its "exports": load them by path.
const v4Dir = path.join(path.dirname(require.resolve("next-auth/next")), "..");
const { AuthHandler: v4AuthHandler } = require(path.join(v4Dir, "core", "index.js"));
const { setCookie: v4SetCookie } = require(path.join(v4Dir, "next", "utils.js"));
const { getCookieParser } = require("next/dist/server/api-utils/get-cookie-parser");
const v5Require = createRequire(require.resolve("next-auth-v5/jwt"));
const { Auth } = await import(v5Require.resolve("@auth/core"));
const { default: PostgresAdapter } = await import("@auth/pg-adapter");
const { default: pg } = await import("pg");

/**
 * Canned database-strategy `callbacks`, by name; tests/test_database_interop.py implements the
 * same ones. The session callback gets `{session, user, newSession, trigger?}`; `user` is the
 * adapter's users row as is (pg-adapter: `id` a number, `emailVerified` a Date or null).
 */
export const DB_CALLBACKS = {
  none: {},
  // session.user.id from the users row (a number with pg-adapter's serial ids).
  add_id: {
    session({ session, user }) {
      session.user.id = user.id;
      return session;
    },
  },
  // What the callback is given, as is: v4 `{user, expires}`, v5 `{...sessionRow, user: userRow}`.
  identity: { session: ({ session }) => session },
  // The users row's columns, Dates as next-auth serialises them (JSON: ISO 8601).
  user_row: {
    session({ session, user }) {
      return { ...session, user: { ...session.user, id: user.id, emailVerified: user.emailVerified } };
    },
  },
  session_throws: {
    session() {
      throw new Error("session callback failed");
    },
  },
  session_returns_null: { session: () => null },
};

export const DB_IMPLS = { 4: "getServerSession", 5: "route" };

// ----------------------------------------------------------------------------- the clock

const RealDate = Date;

/** A Date whose no-argument constructor and `now()` answer the fixed `ms`. */
function frozenDate(ms) {
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  }
  return FrozenDate;
}

/** Runs fn with `Date.now()` and `new Date()` answering `now` (ms since the epoch, or an ISO
 * string); the real Date is back when fn settles. The bridge runs one request at a time. */
async function atClock(now, fn) {
  if (now === undefined || now === null) return await fn();
  const ms = typeof now === "string" ? RealDate.parse(now) : now;
  if (!Number.isFinite(ms)) throw new TypeError(`\`now\` must be ms since the epoch or an ISO string, got ${JSON.stringify(now)}`);
  globalThis.Date = frozenDate(ms);
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

// ----------------------------------------------------------------------------- pools

/** Runs fn(adapter, pool) over a fresh Pool on `url`, ended before returning. */
async function withAdapter(url, fn) {
  if (typeof url !== "string" || !url) throw new TypeError("`url` (a PostgreSQL connection URL) is required");
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  pool.on("error", (err) => console.error("pg pool error:", err?.message ?? err)); // idle client lost
  try {
    return await fn(PostgresAdapter(pool), pool);
  } finally {
    await pool.end();
  }
}

/** A row for JSON: Dates as ISO 8601 with milliseconds, everything else as pg returned it. */
function plainRow(row) {
  if (row === null || row === undefined) return null;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof RealDate ? v.toISOString() : v]));
}

const toDate = (value, what) => {
  const date = new RealDate(value);
  if (Number.isNaN(date.valueOf())) throw new TypeError(`\`${what}\` must be an ISO string or ms, got ${JSON.stringify(value)}`);
  return date;
};

// ----------------------------------------------------------------------------- ops

/**
 * The real session logic with the database strategy. Params: `version` (4: next-auth 4.24.15
 * getServerSession; 5: @auth/core Auth() on GET /api/auth/session), `url`, `cookie` (the raw
 * Cookie header, "" for none), `now?`, `secret?`, `maxAge?`, `updateAge?`, `callbacks?` (a name
 * in DB_CALLBACKS), `secure?`. Result: {impl, session, status, setCookie: [...], logged: [...]}.
 */
async function dbServerSession({
  version, url, cookie = "", now, secret, maxAge, updateAge, callbacks = "none", secure = false,
}) {
  if (typeof cookie !== "string") throw new TypeError("`cookie` must be the Cookie header, a string");
  if (!Object.hasOwn(DB_CALLBACKS, callbacks)) throw new TypeError(`unknown callbacks ${JSON.stringify(callbacks)}`);
  const session = { ...(maxAge !== undefined && { maxAge }), ...(updateAge !== undefined && { updateAge }) };
  const headers = { host: "localhost:3000", "x-forwarded-proto": secure ? "https" : "http", ...(cookie && { cookie }) };
  const logged = [];
  return await withAdapter(url, (adapter) =>
    atClock(now, async () => {
      const options = {
        adapter,
        providers: [],
        callbacks: { ...DB_CALLBACKS[callbacks] },
        logger: recorder(logged),
        session,
        ...(secret !== undefined && { secret }),
      };
      if (version === 4) {
        const req = { headers, cookies: getCookieParser(headers)() };
        const res = collectingResponse();
        const run = () => v4Next.getServerSession(req, res, options);
        const result = await (secure ? withEnv({ NEXTAUTH_URL: "https://localhost:3000" }, run) : run());
        return { impl: DB_IMPLS[4], session: result ?? null, status: 200, setCookie: res.setCookies(), logged };
      }
      const config = { ...options, trustHost: true, basePath: "/api/auth" };
      const request = new Request(`${secure ? "https" : "http"}://localhost:3000/api/auth/session`, {
        headers: cookie ? { cookie } : {},
      });
      const response = await Auth(request, config);
      const text = await response.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { impl: DB_IMPLS[5], session: body, status: response.status, setCookie: response.headers.getSetCookie(), logged };
    }),
  );
}

/** @auth/pg-adapter's createUser: `user` = {name?, email?, image?, emailVerified?}; the row. */
async function dbCreateUser({ url, user = {} }) {
  const { name = null, email = null, image = null, emailVerified = null } = user;
  const verified = emailVerified === null ? null : toDate(emailVerified, "emailVerified");
  return await withAdapter(url, async (adapter) =>
    plainRow(await adapter.createUser({ name, email, image, emailVerified: verified })),
  );
}

/** @auth/pg-adapter's createSession: `sessionToken`, `userId`, `expires` (ISO or ms); the row. */
async function dbCreateSession({ url, sessionToken, userId, expires }) {
  if (typeof sessionToken !== "string") throw new TypeError("`sessionToken` must be a string");
  return await withAdapter(url, async (adapter) =>
    plainRow(await adapter.createSession({ sessionToken, userId, expires: toDate(expires, "expires") })),
  );
}

/** @auth/pg-adapter's getSessionAndUser: {session, user} (rows, Dates as ISO) or null. */
async function dbGetSessionAndUser({ url, sessionToken }) {
  return await withAdapter(url, async (adapter) => {
    const found = await adapter.getSessionAndUser(sessionToken);
    return found ? { session: plainRow(found.session), user: plainRow(found.user) } : null;
  });
}

// ----------------------------------------------------------------------------- sign-in

/** An e-mail provider whose "e-mail" is kept in `sent` (the magic link's URL). */
function emailProvider(sent) {
  return {
    id: "email",
    type: "email",
    name: "Email",
    from: "auth@example.com",
    maxAge: 24 * 60 * 60,
    options: {},
    sendVerificationRequest({ url }) {
      sent.push(url);
    },
  };
}

/** The cookie pairs a response set (Max-Age=0 ones dropped), for the next request. */
function jarFrom(setCookies, jar = {}) {
  for (const line of setCookies) {
    const [pair, ...attrs] = line.split("; ");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    if (attrs.some((a) => a.toLowerCase() === "max-age=0")) delete jar[name];
    else jar[name] = decodeURIComponent(pair.slice(eq + 1));
  }
  return jar;
}
const cookieHeader = (jar) => Object.entries(jar).map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join("; ");

/** v4: csrf -> POST signin/email -> GET the magic link, through next-auth's AuthHandler. */
async function signInV4(options, email, sent) {
  const headers = { host: "localhost:3000", "x-forwarded-proto": "http" };
  const jar = {};
  const step = async (req) => {
    const out = await v4AuthHandler({ options, req: { headers, cookies: { ...jar }, ...req } });
    const res = collectingResponse();
    for (const c of out.cookies ?? []) v4SetCookie(res, c);
    jarFrom(res.setCookies(), jar);
    return { ...out, setCookie: res.setCookies() };
  };
  const { body } = await step({ action: "csrf", method: "GET" });
  const signin = await step({ action: "signin", providerId: "email", method: "POST", body: { email, csrfToken: body.csrfToken } });
  if (!sent.length) throw new Error(`sign-in sent no e-mail: ${JSON.stringify(signin.redirect ?? signin.body)}`);
  const link = new URL(sent.at(-1));
  return await step({ action: "callback", providerId: "email", method: "GET", query: Object.fromEntries(link.searchParams) });
}

/** v5: the same three requests through @auth/core's Auth(). */
async function signInV5(config, email, sent) {
  const jar = {};
  const step = async (url, init = {}) => {
    const headers = { ...(init.headers ?? {}), ...(Object.keys(jar).length && { cookie: cookieHeader(jar) }) };
    const response = await Auth(new Request(url, { ...init, headers }), config);
    const setCookie = response.headers.getSetCookie();
    jarFrom(setCookie, jar);
    return { response, setCookie, redirect: response.headers.get("location") };
  };
  const base = "http://localhost:3000/api/auth";
  const { csrfToken } = await (await step(`${base}/csrf`)).response.json();
  const signin = await step(`${base}/signin/email`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, csrfToken }).toString(),
  });
  if (!sent.length) throw new Error(`sign-in sent no e-mail: ${signin.redirect}`);
  return await step(sent.at(-1));
}

/**
 * A whole e-mail sign-in with the real package: CSRF token, POST signin/email, then the magic
 * link; next-auth itself creates the user (first time), the session row and the cookie.
 * Params: `version`, `url`, `email`, `now?`, `secret`, `maxAge?`. Result: {sessionToken,
 * setCookie (the callback's Set-Cookie headers), redirect, logged}.
 */
async function dbSignIn({ version, url, email, now, secret, maxAge }) {
  if (typeof email !== "string") throw new TypeError("`email` must be a string");
  const logged = [];
  const sent = [];
  return await withAdapter(url, (adapter) =>
    atClock(now, async () => {
      const options = {
        adapter,
        providers: [emailProvider(sent)],
        logger: recorder(logged),
        secret,
        session: { ...(maxAge !== undefined && { maxAge }) },
      };
      const out =
        version === 4
          ? await signInV4(options, email, sent)
          : await signInV5({ ...options, trustHost: true, basePath: "/api/auth" }, email, sent);
      const name = version === 4 ? "next-auth.session-token" : "authjs.session-token";
      const set = out.setCookie.find((line) => line.startsWith(`${name}=`));
      const sessionToken = set ? set.slice(name.length + 1).split(";")[0] : null;
      return { sessionToken, setCookie: out.setCookie, redirect: out.redirect ?? null, logged };
    }),
  );
}

// ----------------------------------------------------------------------------- update, sign-out

/**
 * ops_lifecycle's `lifecycle` (their POST /api/auth/session update or POST /api/auth/signout,
 * with the csrf cookie and token) with the database strategy: @auth/pg-adapter on `url`, at
 * the clock `now?`. Other params and the result as for `lifecycle`.
 */
async function dbLifecycle({ url, now, ...params }) {
  return await withAdapter(url, (adapter) => atClock(now, () => lifecycle({ ...params, adapter })));
}

export const databaseOps = {
  dbServerSession, dbCreateUser, dbCreateSession, dbGetSessionAndUser, dbSignIn, dbLifecycle,
};

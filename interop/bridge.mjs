// Serves newline-delimited JSON requests on stdin with the real next-auth v4 / v5 code, one JSON
// line per request on stdout: {"ok":true,"result":...} or {"ok":false,"error":"Name: message"}.
// A request is {"op": ..., "version": 4|5, ...params, "env"?: {VAR: value|null}, "id"?: any}.
// See README.md beside this file for the ops.
import readline from "node:readline";
import {
  lib, deriveKey, thumbprint, withEnv, scrubAuthEnv, quietLogger, NextRequest, versions,
} from "./lib.mjs";
import { middlewareOps } from "./ops_middleware.mjs";
import { matcherOps } from "./ops_matcher.mjs";
import { sessionOps } from "./ops_session.mjs";
import { codecOps } from "./ops_codec.mjs";
import { databaseOps } from "./ops_database.mjs";
import { lifecycleOps } from "./ops_lifecycle.mjs";
import { benchOps } from "./ops_bench.mjs";

// stdout carries the protocol only: anything the packages log goes to stderr.
for (const m of ["log", "info", "debug"]) console[m] = (...args) => console.error(...args);
scrubAuthEnv();
// A stray rejection must not end the process (Node's default): report it and keep serving.
process.on("unhandledRejection", (err) => console.error("unhandledRejection:", err));

const toDate = (v) => (typeof v === "string" || typeof v === "number" ? new Date(v) : v);

/** A list of [name, value] pairs from {name: value} or [[name, value], ...]. */
const cookiePairs = (cookies) => (Array.isArray(cookies) ? cookies : Object.entries(cookies ?? {}));

/**
 * The request getToken sees. "next" (default): a real NextRequest (what middleware gets) whose
 * Cookie header is the given cookies joined with "; " in order, after any Cookie header in
 * `headers`. "plain": {cookies: {...}, headers: {...}} as in a pages-router API route (v4); for
 * v5 only the headers matter (it parses the Cookie header itself).
 */
function buildReq({ cookies, headers = {}, url = "http://localhost:3000/", req = "next" }) {
  const pairs = cookiePairs(cookies);
  if (req === "plain") {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (pairs.length) {
      const joined = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
      h.cookie = h.cookie ? `${h.cookie}; ${joined}` : joined;
    }
    return { cookies: Object.fromEntries(pairs), headers: h };
  }
  const h = new Headers(headers);
  if (pairs.length) {
    const joined = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
    h.set("cookie", h.has("cookie") ? `${h.get("cookie")}; ${joined}` : joined);
  }
  return new NextRequest(url, { headers: h });
}

/** A SessionStore for the session cookie `name`, with next-auth's default cookie options. */
function sessionStore(version, { name, existing, secure }) {
  if (typeof name !== "string" || !name) throw new TypeError("`name` (the cookie name) is required");
  const { cookie } = lib(version);
  const isSecure = secure ?? name.startsWith("__Secure-");
  const option = { ...cookie.defaultCookies(isSecure).sessionToken, name };
  const jar = Object.fromEntries(cookiePairs(existing));
  // v4 reads req.cookies; v5 takes the parsed cookie object itself.
  return new cookie.SessionStore(option, version === 4 ? { cookies: jar, headers: {} } : jar, quietLogger);
}

const ops = {
  async encode({ version, token = {}, secret, salt, maxAge }) {
    return await lib(version).jwt.encode({ token, secret, salt, maxAge });
  },
  async decode({ version, token, secret, salt }) {
    return await lib(version).jwt.decode({ token, secret, salt });
  },
  async getToken(p) {
    const { version, secret, salt, secureCookie, cookieName, raw } = p;
    const params = { req: buildReq(p), secret, salt, secureCookie, cookieName, raw, logger: quietLogger };
    // Leave absent params absent so the real defaults (env vars, cookie names) apply.
    for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
    const result = await lib(version).jwt.getToken(params);
    return result === undefined ? null : result;
  },
  async chunk({ version, value, options = {}, ...rest }) {
    if (typeof value !== "string") throw new TypeError("`value` must be a string");
    const opts = { ...options };
    if ("expires" in opts) opts.expires = toDate(opts.expires);
    return sessionStore(version, rest).chunk(value, opts);
  },
  async clean({ version, ...rest }) {
    return sessionStore(version, rest).clean();
  },
  /** Extra: the key next-auth derives, and (v5) its kid. */
  async deriveKey({ version, secret, salt = "", enc }) {
    const key = await deriveKey(version, secret, salt, enc);
    return { key_hex: Buffer.from(key).toString("hex"), kid: version === 5 ? await thumbprint(key) : null };
  },
  async versions() {
    return versions;
  },
  ...middlewareOps, // withAuth (ops_middleware.mjs)
  ...matcherOps, // Next.js middleware matchers (ops_matcher.mjs)
  ...sessionOps, // getServerSession / Auth() session route / auth() (ops_session.mjs)
  ...codecOps, // decode outcomes for hand-built tokens (ops_codec.mjs)
  ...databaseOps, // the database strategy over @auth/pg-adapter (ops_database.mjs)
  ...lifecycleOps, // session update and sign-out routes (ops_lifecycle.mjs)
  ...benchOps, // decode timed inside Node, for benchmarks/bench_decode.py --node (ops_bench.mjs)
};

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
    if (request === null || typeof request !== "object" || Array.isArray(request)) {
      throw new TypeError("a request must be a JSON object");
    }
    const op = Object.hasOwn(ops, request.op) ? ops[request.op] : null;
    if (!op) throw new TypeError(`unknown op ${JSON.stringify(request.op)}`);
    const { env, id, op: _op, ...params } = request;
    if (request.op !== "versions") lib(params.version); // validates the version
    const result = await withEnv(env, () => op(params));
    return { ...(id !== undefined && { id }), ok: true, result: result === undefined ? null : result };
  } catch (err) {
    const name = err?.name ?? "Error";
    const message = err?.message ?? String(err);
    return {
      ...(request?.id !== undefined && { id: request.id }),
      ok: false,
      error: `${name}: ${message}`,
      ...(err?.code !== undefined && { code: err.code }),
    };
  }
}

/** The reply as one JSON line; a result JSON cannot carry (too deep, a BigInt) becomes an error
 * reply instead of ending the process. */
function replyLine(reply) {
  try {
    return JSON.stringify(reply);
  } catch (err) {
    const { id } = reply;
    return JSON.stringify({ ...(id !== undefined && { id }), ok: false, error: `${err?.name}: ${err?.message}` });
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  process.stdout.write(`${replyLine(await handle(line))}\n`);
}

// The `withAuth` bridge op: runs the real next-auth v4 `withAuth` (from `next-auth/middleware`)
// on a real NextRequest and reports what it decided. Shared by bridge.mjs and
// generate_middleware_fixtures.mjs; see README.md beside this file.
import { createRequire } from "node:module";
import { NextRequest } from "./lib.mjs";

const require = createRequire(import.meta.url);
export const { withAuth } = require("next-auth/middleware");

/**
 * Canned `callbacks.authorized` functions, by name. The Python tests implement the same ones
 * under the same names. "default" means: no callback at all (next-auth then uses `!!token`).
 */
export const AUTHORIZED = {
  default: undefined,
  always_true: () => true,
  always_false: () => false,
  role_admin: ({ token }) => token?.role === "admin",
  returns_null: () => null,
  returns_undefined: () => undefined,
  returns_truthy_string: () => "yes",
  returns_zero: () => 0,
  throws: () => {
    throw new Error("authorized callback failed");
  },
  async_true: async () => true,
  async_false: async () => false,
  // next-auth's documented example (middleware.ts JSDoc), with optional chaining throughout.
  user_is_admin: ({ token }) => token?.user?.isAdmin,
};

/** Inner middleware variants: "record" = withAuth(fn, options), "none" = withAuth(options). */
export const MIDDLEWARE = ["record", "none"];

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** {"next" | "redirect" | "rewrite" | "other", status, location, headers} for a middleware result. */
function classify(res) {
  if (res === undefined || res === null) {
    return { action: "next", status: null, location: null, headers: {} };
  }
  if (!(res instanceof Response)) {
    return { action: "other", status: null, location: null, headers: {}, value: String(res) };
  }
  const headers = Object.fromEntries([...res.headers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const location = res.headers.get("location");
  let action = "other";
  if (res.headers.has("x-middleware-rewrite")) action = "rewrite";
  else if (res.headers.has("x-middleware-next")) action = "next";
  else if (REDIRECT_STATUSES.has(res.status) && location !== null) action = "redirect";
  return { action, status: res.status, location, headers };
}

/** A list of [name, value] pairs from {name: value} or [[name, value], ...]. */
const cookiePairs = (cookies) => (Array.isArray(cookies) ? cookies : Object.entries(cookies ?? {}));

/**
 * The NextRequest middleware receives. `basePath` goes in as `nextConfig: {basePath}`, the way
 * Next's adapter builds it: NextURL then strips the prefix from `nextUrl.pathname` (only when
 * the path is exactly basePath or starts with basePath + "/") and sets `nextUrl.basePath`.
 */
export function buildNextRequest({ url, method = "GET", headers = {}, cookies, basePath }) {
  if (typeof url !== "string" || !url) throw new TypeError("`url` (an absolute URL) is required");
  const h = new Headers(headers);
  const pairs = cookiePairs(cookies);
  if (pairs.length) {
    const joined = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
    h.set("cookie", h.has("cookie") ? `${h.get("cookie")}; ${joined}` : joined);
  }
  const init = { method, headers: h };
  if (basePath) init.nextConfig = { basePath };
  return new NextRequest(url, init);
}

/**
 * Runs the real withAuth once. Params: url, method?, headers?, cookies?, basePath?, options?
 * (JSON: pages, secret, cookies, ...), authorized? (a name in AUTHORIZED), middleware?
 * ("record" | "none"). Env vars are the caller's business (bridge.mjs wraps ops in withEnv).
 */
export async function runWithAuth({
  url, method, headers, cookies, basePath, options = {}, authorized = "default", middleware = "record",
}) {
  if (!Object.hasOwn(AUTHORIZED, authorized)) throw new TypeError(`unknown authorized callback ${JSON.stringify(authorized)}`);
  if (!MIDDLEWARE.includes(middleware)) throw new TypeError(`middleware must be one of ${MIDDLEWARE.join(", ")}`);
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError("`options` must be an object");
  if ("callbacks" in options || "jwt" in options) throw new TypeError("callbacks/jwt hooks cannot come as JSON: use `authorized`");

  const req = buildNextRequest({ url, method, headers, cookies, basePath });
  const seen = {
    pathname: req.nextUrl.pathname,
    basePath: req.nextUrl.basePath,
    search: req.nextUrl.search,
    origin: req.nextUrl.origin,
  };
  const opts = { ...options };
  if (AUTHORIZED[authorized]) opts.callbacks = { authorized: AUTHORIZED[authorized] };

  let innerCalled = false;
  let tokenSeen = null;
  let handler;
  if (middleware === "record") {
    handler = withAuth((r) => {
      innerCalled = true;
      tokenSeen = r.nextauth?.token ?? null;
      return undefined; // i.e. carry on (NextResponse.next())
    }, opts);
  } else {
    handler = withAuth(opts);
  }

  // next-auth logs NO_SECRET with console.error; keep it off stdout (bridge.mjs already
  // redirects console.log) and report whether it happened.
  const logged = [];
  const origError = console.error;
  console.error = (...args) => logged.push(args.map(String).join(" "));
  let out;
  try {
    out = classify(await handler(req, { waitUntil() {} }));
  } catch (err) {
    // A throwing middleware: Next answers 500 (Internal Server Error) for the request.
    out = { action: "error", status: null, location: null, headers: {}, error: `${err?.name ?? "Error"}: ${err?.message ?? err}` };
  } finally {
    console.error = origError;
  }
  return {
    ...out,
    token_seen_by_middleware: tokenSeen,
    inner_called: innerCalled,
    next_url: seen,
    logged,
  };
}

export const middlewareOps = {
  /** next-auth v4 only: `version` must be 4. */
  async withAuth({ version, ...params }) {
    if (version !== 4) throw new TypeError("withAuth is next-auth v4's middleware: use version 4");
    return await runWithAuth(params);
  },
};

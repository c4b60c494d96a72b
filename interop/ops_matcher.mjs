// Bridge ops for Next.js middleware matchers (`config.matcher`), run with Next's own code from
// the installed `next` dist, and path-to-regexp 6.3.0 from npm. Used by tests/test_matcher.py.
// Each op's params and result are described on it below. The bridge checks `version` for every
// op, so callers pass version: 4 (it is not used here).
import { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import url from "node:url";

const require = createRequire(import.meta.url);
const { getMiddlewareMatchers } = require("next/dist/build/analysis/get-page-static-info");
const { getMiddlewareRouteMatcher } = require("next/dist/shared/lib/router/utils/middleware-route-matcher");
const { MiddlewareConfigInputSchema } = require("next/dist/build/segment-config/middleware/middleware-config");
const { getCookieParser } = require("next/dist/server/api-utils/get-cookie-parser");
const { tryToParsePath } = require("next/dist/lib/try-to-parse-path");
const pathToRegexp = require("path-to-regexp");

/** Next's matchers for `matcher` (validated like next build does), or a thrown Error. */
function buildMatchers(matcher, basePath) {
  // Next's schema takes a string or an array; getMiddlewareMatchers also takes one object.
  const input = typeof matcher === "string" || Array.isArray(matcher) ? matcher : [matcher];
  const parsed = MiddlewareConfigInputSchema.safeParse({ matcher: input });
  if (!parsed.success) {
    throw new TypeError(`invalid middleware config: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  // getMiddlewareMatchers ends the process when the built source is invalid: make that a throw.
  const exit = process.exit;
  process.exit = (code) => {
    throw new TypeError(`Next.js rejected the built source (process.exit(${code}))`);
  };
  try {
    return getMiddlewareMatchers(input, { basePath });
  } finally {
    process.exit = exit;
  }
}

/**
 * What Next's router server has for a request: a Node IncomingMessage with these raw headers
 * ([[name, value], ...], joined by Node's own rules) and `url.parse(url, true).query`.
 */
function nodeRequest({ headers = [], query = "" }) {
  const req = new IncomingMessage(null);
  const raw = headers.flat();
  req._addHeaderLines(raw, raw.length);
  return { req, query: url.parse(`/?${query}`, true).query };
}

const run = (fn) => {
  try {
    return fn();
  } catch (err) {
    return { error: `${err?.name ?? "Error"}: ${err?.message ?? err}` };
  }
};

export const matcherOps = {
  /**
   * {matcher, basePath?, paths?: [...], requests?: [{path, headers?, query?}]} ->
   * {regexps, paths: [bool], requests: [bool | {error}]}, by getMiddlewareMatchers and
   * getMiddlewareRouteMatcher (the check next-server and the router server run).
   */
  async nextMatcher({ matcher, basePath = "", paths = [], requests = [] }) {
    const matchers = buildMatchers(matcher, basePath);
    const match = getMiddlewareRouteMatcher(matchers);
    const empty = nodeRequest({});
    return {
      regexps: matchers.map((m) => m.regexp),
      paths: paths.map((p) => match(p, empty.req, empty.query)),
      requests: requests.map((r) =>
        run(() => {
          const { req, query } = nodeRequest(r);
          return match(r.path, req, query);
        }),
      ),
    };
  },
  /** {requests: [{headers?, query?}]} -> what matchHas reads: headers, cookies, query, host. */
  async nextRequestFacts({ requests }) {
    return requests.map((r) => {
      const { req, query } = nodeRequest(r);
      const host = req.headers.host?.split(":", 1)[0].toLowerCase() ?? null;
      return { headers: req.headers, cookies: getCookieParser(req.headers)(), query, host };
    });
  },
  /**
   * {sources, paths?} -> per source {next, nextError, npm, npmError, matches}: Next's
   * tryToParsePath(source).regexStr, path-to-regexp's own pathToRegexp(source).source, and
   * `new RegExp(next).test(path)` for each path (null when Next rejects the source).
   */
  async pathToRegexp({ sources, paths = [] }) {
    return sources.map((source) => {
      const next = tryToParsePath(source);
      const npm = run(() => pathToRegexp.pathToRegexp(source).source);
      const regexp = next.regexStr === undefined ? null : new RegExp(next.regexStr);
      return {
        next: next.regexStr ?? null,
        nextError: next.error ? String(next.error.message) : null,
        npm: typeof npm === "string" ? npm : null,
        npmError: typeof npm === "string" ? null : npm.error,
        matches: regexp ? paths.map((p) => regexp.test(p)) : null,
      };
    });
  },
  /** {patterns, strings} -> per pattern [bool] (`new RegExp(pattern).test(s)`) or {error}. */
  async jsRegex({ patterns, strings }) {
    return patterns.map((pattern) =>
      run(() => {
        const regexp = new RegExp(pattern);
        return strings.map((s) => regexp.test(s));
      }),
    );
  },
};

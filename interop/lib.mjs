// Loads the real next-auth v4 and Auth.js v5 modules from node_modules and wraps them in a
// handful of plain functions that the bridge and the fixture generator share.
//
// Resolution matters here: npm hoists @auth/core 0.34.3 (next-auth v4's optional peer) to
// node_modules/@auth/core, while next-auth@5.0.0-beta.32 gets its own @auth/core 0.41.3 under
// node_modules/next-auth-v5/node_modules. Everything v5 is therefore resolved *through*
// next-auth-v5, never by a bare "@auth/core" import from here.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

// --- next-auth v4 (CommonJS) -------------------------------------------------------------
const v4JwtPath = require.resolve("next-auth/jwt"); // .../next-auth/jwt/index.js
export const v4 = {
  jwt: require(v4JwtPath),
  // core/lib/cookie is not in next-auth's "exports": load it by file path.
  cookie: require(path.join(path.dirname(v4JwtPath), "..", "core", "lib", "cookie.js")),
};

// --- Auth.js v5 (ESM), through next-auth-v5 -----------------------------------------------
const v5Require = createRequire(require.resolve("next-auth-v5/jwt"));
const coreJwtPath = v5Require.resolve("@auth/core/jwt"); // .../next-auth-v5/node_modules/@auth/core/jwt.js
const coreRequire = createRequire(coreJwtPath);
const fileImport = (p) => import(pathToFileURL(p).href);
export const v5 = {
  jwt: await import("next-auth-v5/jwt"), // re-exports @auth/core/jwt
  coreJwt: await fileImport(coreJwtPath),
  // lib/utils/cookie.js is not in @auth/core's "exports": load it by file path.
  cookie: await fileImport(path.join(path.dirname(coreJwtPath), "lib", "utils", "cookie.js")),
  jose: await fileImport(coreRequire.resolve("jose")), // the jose @auth/core itself uses
};
if (v5.jwt.decode !== v5.coreJwt.decode) throw new Error("next-auth-v5/jwt is not @auth/core/jwt");

export const { hkdf } = await import("@panva/hkdf"); // the only copy in the tree; both versions use it
export const { NextRequest } = require("next/server");

// The version of the installed package `name` that `file` (a resolved path) belongs to.
function pkgVersion(file, name) {
  const marker = `${path.sep}node_modules${path.sep}${name}${path.sep}`;
  const root = file.slice(0, file.lastIndexOf(marker) + marker.length);
  return require(path.join(root, "package.json")).version;
}

export const versions = {
  "next-auth": pkgVersion(v4JwtPath, "next-auth"),
  "next-auth-v5": pkgVersion(require.resolve("next-auth-v5/jwt"), "next-auth-v5"),
  "@auth/core(v5)": pkgVersion(coreJwtPath, "@auth/core"),
  "jose(v4)": pkgVersion(createRequire(v4JwtPath).resolve("jose"), "jose"),
  "jose(v5)": pkgVersion(coreRequire.resolve("jose"), "jose"),
  "@panva/hkdf": pkgVersion(require.resolve("@panva/hkdf"), "@panva/hkdf"),
  next: pkgVersion(require.resolve("next/server"), "next"),
};

export const lib = (version) => {
  if (version === 4) return v4;
  if (version === 5) return v5;
  throw new TypeError(`version must be 4 or 5, got ${JSON.stringify(version)}`);
};

// --- key derivation, with the parameters of DESIGN.md section 1 ---------------------------
export const V5_KEY_LENGTH = { "A256CBC-HS512": 64, A256GCM: 32 };

export function keyInfo(version, salt = "", enc = version === 4 ? "A256GCM" : "A256CBC-HS512") {
  if (version === 4) {
    if (enc !== "A256GCM") throw new TypeError("v4 only uses A256GCM");
    return { info: `NextAuth.js Generated Encryption Key${salt ? ` (${salt})` : ""}`, length: 32 };
  }
  const length = V5_KEY_LENGTH[enc];
  if (!length) throw new TypeError(`unsupported enc ${enc}`);
  return { info: `Auth.js Generated Encryption Key (${salt})`, length };
}

export async function deriveKey(version, secret, salt = "", enc) {
  const { info, length } = keyInfo(version, salt, enc);
  return await hkdf("sha256", secret, salt, info, length);
}

/** The kid @auth/core puts in (and expects in) a v5 token header for this key. */
export async function thumbprint(key) {
  const { calculateJwkThumbprint, base64url } = v5.jose;
  return await calculateJwkThumbprint({ kty: "oct", k: base64url.encode(key) }, `sha${key.byteLength << 3}`);
}

/** Runs fn with process.env[k] = env[k] set, restoring the previous values afterwards. */
export async function withEnv(env, fn) {
  const saved = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    saved[k] = process.env[k];
    if (v === null) delete process.env[k];
    else process.env[k] = String(v);
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// Env vars next-auth reads for defaults; scrubbed so the caller's environment never leaks in.
export const AUTH_ENV = [
  "NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "NEXTAUTH_URL_INTERNAL", "AUTH_URL",
  "VERCEL", "AUTH_TRUST_HOST", "AUTH_REDIRECT_PROXY_URL", "NEXTAUTH_DEBUG", "AUTH_DEBUG",
];
export function scrubAuthEnv() {
  for (const k of AUTH_ENV) delete process.env[k];
}

// A logger that writes nowhere near stdout (SessionStore.chunk calls logger.debug).
export const quietLogger = { debug() {}, warn() {}, error() {} };

/** A logger that records what the package reports instead of printing it. */
export function recorder(logged) {
  const text = (x) => (x instanceof Error ? `${x.name}: ${x.message}` : x?.message ?? (typeof x === "string" ? x : ""));
  return {
    // v4: error(code, metadata); v5: error(error) whose cause is the original error.
    error(codeOrError, metadata) {
      if (typeof codeOrError === "string") {
        const inner = metadata?.error ?? metadata;
        logged.push(`${codeOrError}: ${text(inner)}`.trim());
      } else {
        const cause = codeOrError?.cause?.err ?? codeOrError?.cause;
        logged.push(`${text(codeOrError)}${cause ? ` (cause: ${text(cause)})` : ""}`);
      }
    },
    warn(code) {
      logged.push(`warn: ${typeof code === "string" ? code : text(code)}`);
    },
    debug() {},
  };
}

/** A pages-router `res` that collects Set-Cookie (next-auth v4's setCookie reads then sets it). */
export function collectingResponse() {
  const headers = {};
  return {
    getHeader: (name) => headers[name.toLowerCase()],
    setHeader(name, value) {
      headers[name.toLowerCase()] = value;
      return this;
    },
    setCookies: () => {
      const v = headers["set-cookie"];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    },
  };
}

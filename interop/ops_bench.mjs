// Bridge ops for benchmarks/bench_decode.py: next-auth's own decode() and jose's jwtDecrypt with a
// pre-derived key, timed inside Node (process.hrtime.bigint around `repeats` back-to-back awaited
// calls), so the bridge's own cost (the pipe, the JSON request and reply) is not counted.
import { createRequire } from "node:module";
import { lib, deriveKey } from "./lib.mjs";

const require = createRequire(import.meta.url);
// The jose each version decodes with: v4's is the one next-auth/jwt itself requires (jose 4),
// v5's the one @auth/core imports (jose 6, resolved in lib.mjs).
const v4Jose = createRequire(require.resolve("next-auth/jwt"))("jose");
const joseOf = (version) => (version === 4 ? v4Jose : lib(5).jose);

// Keys derived once per (version, secret, salt), as an app does at start-up; a few at most.
const keys = new Map();
const KEYS_MAX = 16;

async function preDerivedKey(version, secret, salt) {
  const id = JSON.stringify([version, secret, salt]);
  if (!keys.has(id)) {
    if (keys.size >= KEYS_MAX) keys.clear();
    keys.set(id, await deriveKey(version, secret, salt)); // the same HKDF and info as next-auth
  }
  return keys.get(id);
}

/** Contender name -> (params) -> a function decoding the token once, resolving to its claims. */
const contenders = {
  // next-auth's decode re-derives the key (HKDF; v5 also the kid's thumbprint) on every call.
  "next-auth": async ({ version, token, secret, salt }) => {
    const { decode } = lib(version).jwt;
    return () => decode({ token, secret, salt });
  },
  jose: async ({ version, token, secret, salt }) => {
    const key = await preDerivedKey(version, secret, salt);
    const { jwtDecrypt } = joseOf(version);
    return async () => (await jwtDecrypt(token, key, { clockTolerance: 15 })).payload;
  },
};

// The first sample of each (version, contender) starts with this much time spent decoding
// untimed, so V8 has compiled the hot paths (as in a server that has been up for a while).
const WARM_UP_MS = 1000;
const warm = new Set();

async function warmUp(id, decode) {
  if (warm.has(id)) return;
  const until = process.hrtime.bigint() + BigInt(WARM_UP_MS) * 1_000_000n;
  while (process.hrtime.bigint() < until) await decode();
  warm.add(id);
}

export const benchOps = {
  /**
   * {version, token, secret, salt?, contender: "next-auth" | "jose", repeats, claims?}
   * -> {ns_per_call, claims_json?}: nanoseconds per call over `repeats` back-to-back calls, and
   * with `claims: true` the last call's payload as JSON text (for the caller's check). The
   * first call for a version and contender warms up first (WARM_UP_MS, untimed).
   */
  async benchSample({ version, token, secret, salt = "", contender, repeats = 1, claims = false }) {
    if (!Object.hasOwn(contenders, contender)) throw new TypeError(`unknown contender ${JSON.stringify(contender)}`);
    if (!Number.isSafeInteger(repeats) || repeats < 1) throw new TypeError("`repeats` must be a positive integer");
    const decode = await contenders[contender]({ version, token, secret, salt });
    await warmUp(`${version} ${contender}`, decode);
    let payload;
    const start = process.hrtime.bigint();
    for (let i = 0; i < repeats; i++) payload = await decode();
    const elapsed = process.hrtime.bigint() - start;
    return { ns_per_call: Number(elapsed) / repeats, ...(claims && { claims_json: JSON.stringify(payload) }) };
  },
};

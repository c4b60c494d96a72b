// Writes tests/fixtures/nextauth_tokens.json and tests/fixtures/nextauth_keys.json from the
// real next-auth v4 / Auth.js v5 packages (`npm run fixtures`). Tokens carry random IVs and
// jti, so every run produces new tokens; the expectations stay the same.
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { v4, v5, deriveKey, keyInfo, thumbprint, scrubAuthEnv, quietLogger, versions } from "./lib.mjs";

scrubAuthEnv();
const OUT = fileURLToPath(new URL("../tests/fixtures/", import.meta.url));
const YEAR = 365 * 24 * 60 * 60;
const MAX_AGE = 10 * YEAR; // v4 computes exp in 32-bit arithmetic: stay before 2038
const now = () => Math.floor(Date.now() / 1000);
if (now() + MAX_AGE >= 2 ** 31) throw new Error("10 years from now is past 2038: lower MAX_AGE");

const V4_COOKIE = "next-auth.session-token";
const V5_COOKIE = "authjs.session-token";
const lib = { 4: v4, 5: v5 };

const user = { name: "Ada Lovelace", email: "ada@example.com", picture: "https://example.com/ada.png", sub: "user-1" };
const padding = (bytes) => Array.from({ length: Math.ceil(bytes / 32) }, (_, i) => `group-${String(i).padStart(5, "0")}-abcdefghijklmnop`);

/** Decodes like the real package does; returns {expect, claims} or {expect, error}. */
async function realDecode(version, token, secret, salt) {
  try {
    const claims = await lib[version].jwt.decode({ token, secret, salt });
    return { expect: "ok", claims };
  } catch (err) {
    const expect = { ERR_JWT_EXPIRED: "expired", ERR_JWE_DECRYPTION_FAILED: "wrong_secret" }[err.code]
      ?? (/"nbf" claim/.test(err.message) ? "not_yet_valid" : /no matching decryption secret/.test(err.message) ? "wrong_secret" : null);
    if (!expect) throw err;
    return { expect, error: `${err.name}: ${err.message}` };
  }
}

/** SessionStore.chunk from the real package: {cookieName: value}. */
function chunkCookies(version, name, value) {
  const { cookie } = lib[version];
  const secure = name.startsWith("__Secure-");
  const option = { ...cookie.defaultCookies(secure).sessionToken, name };
  const store = new cookie.SessionStore(option, version === 4 ? { cookies: {}, headers: {} } : {}, quietLogger);
  const out = store.chunk(value, {});
  if (out.length < 2) throw new Error(`expected ${name} to be chunked`);
  return Object.fromEntries(out.map((c) => [c.name, c.value]));
}

/** A v5 token minted directly with jose (as @auth/core would accept it). */
async function joseMint(secret, salt, enc, { kid = true, claims = user, maxAge = MAX_AGE } = {}) {
  const key = await deriveKey(5, secret, salt, enc);
  const header = { alg: "dir", enc, ...(kid && { kid: await thumbprint(key) }) };
  return await new v5.jose.EncryptJWT(claims)
    .setProtectedHeader(header)
    .setIssuedAt()
    .setExpirationTime(now() + maxAge)
    .setJti(crypto.randomUUID())
    .encrypt(key);
}

const cases = [];
async function add({ id, version, note, secret, decodeSecret = secret, salt, cookieName, token, chunked, expect }) {
  const cookieNameFinal = cookieName ?? (version === 4 ? V4_COOKIE : salt);
  const result = await realDecode(version, token, decodeSecret, salt);
  if (result.expect !== expect) throw new Error(`${id}: expected ${expect}, real decode gave ${JSON.stringify(result)}`);
  cases.push({
    id, version, note, secret, decode_secret: decodeSecret, salt, cookie_name: cookieNameFinal,
    ...(chunked ? { cookies: chunkCookies(version, cookieNameFinal, token) } : { token }),
    expect, ...(result.claims ? { claims: result.claims } : { error: result.error }),
  });
}
const enc4 = (token, secret, salt = "", maxAge = MAX_AGE) => v4.jwt.encode({ token, secret, salt, maxAge });
const enc5 = (token, secret, salt, maxAge = MAX_AGE) => v5.jwt.encode({ token, secret, salt, maxAge });
const S4 = "v4-fixture-secret";
const S5 = "v5-fixture-secret";
const nested = {
  ...user, name: "Zoë Ünïcødé 🚀 名前", roles: ["admin", "éditeur"], org: { id: 42, tags: { "ключ": "значение", emoji: "👩‍💻" } },
  flags: [true, false, null], ratio: 0.5, empty: {}, quote: "\"'\\</script>",
};

// --- v4 -------------------------------------------------------------------------------------
await add({ id: "v4-basic", version: 4, note: "no salt (what v4 getToken reads)", secret: S4, salt: "", token: await enc4(user, S4), expect: "ok" });
await add({ id: "v4-salt", version: 4, note: "custom salt; v4 getToken never passes a salt, so only decode(salt=...) reads it", secret: S4, salt: "custom-salt", token: await enc4(user, S4, "custom-salt"), expect: "ok" });
await add({ id: "v4-unicode-nested", version: 4, note: "unicode, emoji, nested claims", secret: S4, salt: "", token: await enc4(nested, S4), expect: "ok" });
await add({ id: "v4-3kb", version: 4, note: "~3 KB payload, still one cookie (token < 3933 chars)", secret: S4, salt: "", token: await enc4({ ...user, groups: padding(2700) }, S4), expect: "ok" });
await add({ id: "v4-10kb-chunked", version: 4, note: "~10 KB token split by SessionStore.chunk", secret: S4, salt: "", token: await enc4({ ...user, groups: padding(7500) }, S4), chunked: true, expect: "ok" });
await add({ id: "v4-10kb-chunked-secure", version: 4, note: "__Secure- cookie, chunked", secret: S4, salt: "", cookieName: `__Secure-${V4_COOKIE}`, token: await enc4({ ...user, groups: padding(7500) }, S4), chunked: true, expect: "ok" });
await add({ id: "v4-expired", version: 4, note: "maxAge -1 day", secret: S4, salt: "", token: await enc4(user, S4, "", -24 * 3600), expect: "expired" });
await add({ id: "v4-nbf-future", version: 4, note: "nbf one year ahead", secret: S4, salt: "", token: await enc4({ ...user, nbf: now() + YEAR }, S4), expect: "not_yet_valid" });
await add({ id: "v4-wrong-secret", version: 4, note: "decoded with another secret", secret: S4, decodeSecret: "not-the-secret", salt: "", token: await enc4(user, S4), expect: "wrong_secret" });

// --- v5 -------------------------------------------------------------------------------------
await add({ id: "v5-basic", version: 5, note: "salt = default cookie name", secret: S5, salt: V5_COOKIE, token: await enc5(user, S5, V5_COOKIE), expect: "ok" });
await add({ id: "v5-secure", version: 5, note: "salt = __Secure- cookie name", secret: S5, salt: `__Secure-${V5_COOKIE}`, token: await enc5(user, S5, `__Secure-${V5_COOKIE}`), expect: "ok" });
await add({ id: "v5-unicode-nested", version: 5, note: "unicode, emoji, nested claims", secret: S5, salt: V5_COOKIE, token: await enc5(nested, S5, V5_COOKIE), expect: "ok" });
await add({ id: "v5-rotation-list", version: 5, note: "minted with [new, old]: encrypted with new", secret: ["new-secret", "old-secret"], salt: V5_COOKIE, token: await enc5(user, ["new-secret", "old-secret"], V5_COOKIE), expect: "ok" });
await add({ id: "v5-rotation-old", version: 5, note: "minted with old, decoded with [new, old]: kid picks old", secret: "old-secret", decodeSecret: ["new-secret", "old-secret"], salt: V5_COOKIE, token: await enc5(user, "old-secret", V5_COOKIE), expect: "ok" });
await add({ id: "v5-rotation-old-dropped", version: 5, note: "minted with old, decoded with [new] only", secret: "old-secret", decodeSecret: ["new-secret"], salt: V5_COOKIE, token: await enc5(user, "old-secret", V5_COOKIE), expect: "wrong_secret" });
await add({ id: "v5-a256gcm", version: 5, note: "jose EncryptJWT, dir + A256GCM, 32-byte key, kid = SHA-256 thumbprint", secret: S5, salt: V5_COOKIE, token: await joseMint(S5, V5_COOKIE, "A256GCM"), expect: "ok" });
await add({ id: "v5-nokid", version: 5, note: "jose EncryptJWT, A256CBC-HS512 without kid: first secret is used", secret: S5, decodeSecret: [S5, "other"], salt: V5_COOKIE, token: await joseMint(S5, V5_COOKIE, "A256CBC-HS512", { kid: false }), expect: "ok" });
await add({ id: "v5-nokid-rotation-old", version: 5, note: "no kid, minted with old, decoded with [new, old]: only new is tried", secret: "old-secret", decodeSecret: ["new-secret", "old-secret"], salt: V5_COOKIE, token: await joseMint("old-secret", V5_COOKIE, "A256CBC-HS512", { kid: false }), expect: "wrong_secret" });
await add({ id: "v5-10kb-chunked", version: 5, note: "~10 KB token split by SessionStore.chunk", secret: S5, salt: V5_COOKIE, token: await enc5({ ...user, groups: padding(7500) }, S5, V5_COOKIE), chunked: true, expect: "ok" });
await add({ id: "v5-expired", version: 5, note: "maxAge -1 day", secret: S5, salt: V5_COOKIE, token: await enc5(user, S5, V5_COOKIE, -24 * 3600), expect: "expired" });
await add({ id: "v5-nbf-future", version: 5, note: "nbf one year ahead", secret: S5, salt: V5_COOKIE, token: await enc5({ ...user, nbf: now() + YEAR }, S5, V5_COOKIE), expect: "not_yet_valid" });
await add({ id: "v5-wrong-secret", version: 5, note: "decoded with another secret", secret: S5, decodeSecret: "not-the-secret", salt: V5_COOKIE, token: await enc5(user, S5, V5_COOKIE), expect: "wrong_secret" });
await add({ id: "v5-wrong-salt", version: 5, note: "minted for authjs.session-token, decoded with the __Secure- salt", secret: S5, salt: `__Secure-${V5_COOKIE}`, cookieName: `__Secure-${V5_COOKIE}`, token: await enc5(user, S5, V5_COOKIE), expect: "wrong_secret" });

// --- derived keys -----------------------------------------------------------------------------
const keyTuples = [
  [4, "secret", "", "A256GCM"],
  [4, "secret", V4_COOKIE, "A256GCM"],
  [4, "sécret 🔑", "", "A256GCM"],
  [4, S4, "custom-salt", "A256GCM"],
  [5, "secret", V5_COOKIE, "A256CBC-HS512"],
  [5, "secret", V5_COOKIE, "A256GCM"],
  [5, "secret", `__Secure-${V5_COOKIE}`, "A256CBC-HS512"],
  [5, "sécret 🔑", V5_COOKIE, "A256CBC-HS512"],
  [5, S5, "", "A256CBC-HS512"],
];
const keys = [];
for (const [version, secret, salt, enc] of keyTuples) {
  const key = await deriveKey(version, secret, salt, enc);
  const kid = version === 5 ? await thumbprint(key) : null;
  // Self-check: the real package's own tokens open with this key (and carry this kid).
  if (enc !== "A256GCM" || version === 4) {
    const token = await lib[version].jwt.encode({ token: { check: true }, secret, salt });
    const { protectedHeader } = await v5.jose.compactDecrypt(token, key);
    if (version === 5 && protectedHeader.kid !== kid) throw new Error("kid mismatch");
  } else if (!(await v5.jwt.decode({ token: await joseMint(secret, salt, enc), secret, salt }))) {
    throw new Error("A256GCM key rejected");
  }
  keys.push({ version, secret, salt, enc, ...keyInfo(version, salt, enc), key_hex: Buffer.from(key).toString("hex"), kid });
}

const header = { generated_by: "interop/generate_fixtures.mjs", packages: versions };
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}nextauth_tokens.json`, `${JSON.stringify({ ...header, max_age: MAX_AGE, cases }, null, 2)}\n`);
writeFileSync(`${OUT}nextauth_keys.json`, `${JSON.stringify({ ...header, keys }, null, 2)}\n`);
console.log(`wrote ${cases.length} token cases and ${keys.length} keys to ${OUT}`);
console.log(cases.map((c) => c.id).join(" "));

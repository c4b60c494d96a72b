// Bridge ops for the session-token codec's edge cases: tokens built by the caller with headers
// or payloads that next-auth never writes itself (extra header parameters, a BOM, deep nesting),
// decoded by the real next-auth v4 / Auth.js v5 `decode`. Used by tests/test_interop.py.
import { lib } from "./lib.mjs";

/** JSON text for `value`, or null when JSON.stringify cannot write it (nesting too deep). */
function jsonOrNull(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}

export const codecOps = {
  /**
   * {version, token, secret, salt} -> {accepted: true, claims_json} or {accepted: false, error}.
   * `claims_json` is the payload as JSON text (null when it is too deep to serialise), so a
   * payload the reply could not carry still reports whether decode accepted it.
   */
  async decodeOutcome({ version, token, secret, salt }) {
    try {
      const claims = await lib(version).jwt.decode({ token, secret, salt });
      return { accepted: true, claims_json: jsonOrNull(claims) };
    } catch (err) {
      return { accepted: false, error: `${err?.name ?? "Error"}: ${err?.message ?? String(err)}` };
    }
  },
};

// The database strategy, when the tests set E2E_DATABASE_URL: @auth/pg-adapter on that
// PostgreSQL, sign-in by a magic link that is appended to E2E_MAGIC_LINKS (one JSON line per
// link) instead of being mailed.
import PostgresAdapter from "@auth/pg-adapter";
import { appendFileSync } from "node:fs";
import pg from "pg";

function recordMagicLink({ identifier, url }) {
  appendFileSync(process.env.E2E_MAGIC_LINKS, `${JSON.stringify({ identifier, url })}\n`);
}

export function databaseOptions() {
  const connectionString = process.env.E2E_DATABASE_URL;
  if (!connectionString) return null;
  return {
    adapter: PostgresAdapter(new pg.Pool({ connectionString, max: 4 })),
    session: { strategy: "database" },
    providers: [{ id: "email", type: "email", name: "Email", maxAge: 600, sendVerificationRequest: recordMagicLink }],
  };
}

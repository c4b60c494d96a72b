// The database strategy, when the tests set E2E_DATABASE_URL: @auth/pg-adapter on that
// PostgreSQL, sign-in by magic link (see ../shared/auth.js).
import PostgresAdapter from "@auth/pg-adapter";
import pg from "pg";
import { magicLinks } from "../shared/auth";

export function databaseOptions() {
  const connectionString = process.env.E2E_DATABASE_URL;
  if (!connectionString) return null;
  return {
    adapter: PostgresAdapter(new pg.Pool({ connectionString, max: 4 })),
    session: { strategy: "database" },
    providers: [magicLinks],
  };
}

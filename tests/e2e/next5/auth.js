import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import PostgresAdapter from "@auth/pg-adapter";
import pg from "pg";
import { authorize, callbacks, credentials, databaseOptions } from "../shared/auth";

// AUTH_SECRET and AUTH_URL come from the environment (the tests set them). JWT sessions and
// fixed users, or with E2E_DATABASE_URL, database sessions (see shared/auth.js).
export const { handlers, auth } = NextAuth({
  session: { strategy: "jwt" },
  providers: [Credentials({ name: "a fixed user", credentials, authorize })],
  callbacks,
  ...databaseOptions(PostgresAdapter, pg),
});

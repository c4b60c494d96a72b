import NextAuth from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import PostgresAdapter from "@auth/pg-adapter";
import pg from "pg";
import { authorize, callbacks, credentials, databaseOptions } from "../../../../shared/auth";

// NEXTAUTH_SECRET and NEXTAUTH_URL come from the environment (the tests set them). JWT sessions
// and fixed users, or with E2E_DATABASE_URL, database sessions (see shared/auth.js).
export const authOptions = {
  session: { strategy: "jwt" },
  providers: [CredentialsProvider({ name: "a fixed user", credentials, authorize })],
  callbacks,
  ...databaseOptions(PostgresAdapter, pg),
};

export default NextAuth(authOptions);

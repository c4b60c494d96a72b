import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { authorize, callbacks, credentials } from "../shared/auth";
import { databaseOptions } from "./database";

// AUTH_SECRET and AUTH_URL come from the environment (the tests set them). JWT sessions and
// fixed users, or with E2E_DATABASE_URL, database sessions (see database.js).
export const { handlers, auth } = NextAuth({
  session: { strategy: "jwt" },
  providers: [Credentials({ name: "a fixed user", credentials, authorize })],
  callbacks,
  ...databaseOptions(),
});

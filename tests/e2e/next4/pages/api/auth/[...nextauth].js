import NextAuth from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { authorize, callbacks, credentials } from "../../../../shared/auth";
import { databaseOptions } from "../../../database";

// NEXTAUTH_SECRET and NEXTAUTH_URL come from the environment (the tests set them). JWT sessions
// and fixed users, or with E2E_DATABASE_URL, database sessions (see database.js).
export const authOptions = {
  session: { strategy: "jwt" },
  providers: [CredentialsProvider({ name: "a fixed user", credentials, authorize })],
  callbacks,
  ...databaseOptions(),
};

export default NextAuth(authOptions);

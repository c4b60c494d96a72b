import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { databaseOptions } from "./database";
import { allowedRedirect, checkUser } from "./users";

// AUTH_SECRET and AUTH_URL come from the environment (the tests set them). JWT sessions and
// fixed users, or with E2E_DATABASE_URL, database sessions (see database.js).
export const { handlers, auth } = NextAuth({
  session: { strategy: "jwt" },
  providers: [
    Credentials({
      name: "a fixed user",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
      },
      authorize: async (credentials) => checkUser(credentials),
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.role = user.role;
        if (user.bio) token.bio = user.bio;
      }
      return token;
    },
    async session({ session, token, user }) {
      session.user.role = (token ?? user).role;
      return session;
    },
    async redirect({ url, baseUrl }) {
      return allowedRedirect(url, baseUrl);
    },
  },
  ...databaseOptions(),
});

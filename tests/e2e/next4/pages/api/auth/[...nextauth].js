import NextAuth from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { allowedRedirect, checkUser } from "../../../users";

export const authOptions = {
  // NEXTAUTH_SECRET and NEXTAUTH_URL come from the environment (the tests set them).
  session: { strategy: "jwt" },
  providers: [
    CredentialsProvider({
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
    async session({ session, token }) {
      session.user.role = token.role;
      return session;
    },
    async redirect({ url, baseUrl }) {
      return allowedRedirect(url, baseUrl);
    },
  },
};

export default NextAuth(authOptions);

// What both Next.js apps share: the fixed users of the end-to-end tests (password "pw" for
// all), next-auth's callbacks, and the database strategy with its magic-link "mailer".
const { appendFileSync } = require("node:fs");

// `big` carries a claim large enough for next-auth to chunk its session cookie into .0, .1, ...
const BIG_CLAIM = Array.from({ length: 700 }, (_, i) => `fact-${i}`).join(" ");

const USERS = {
  ada: { id: "1", name: "Ada Lovelace", email: "ada@example.com", role: "admin" },
  bob: { id: "2", name: "Bob Builder", email: "bob@example.com", role: "user" },
  big: { id: "3", name: "Big Claims", email: "big@example.com", role: "user", bio: BIG_CLAIM },
};

const credentials = {
  username: { label: "Username", type: "text" },
  password: { label: "Password", type: "password" },
};

async function authorize(given) {
  const user = USERS[given?.username];
  return user && given?.password === "pw" ? user : null;
}

const callbacks = {
  // JWT strategy: the role (and the big claim) go into the token, the role into the session.
  async jwt({ token, user }) {
    if (user) {
      token.role = user.role;
      if (user.bio) token.bio = user.bio;
    }
    return token;
  },
  async session({ session, token, user }) {
    session.user.role = (token ?? user).role; // database strategy: the user row, no role
    return session;
  },
  // Sign-in may return to this app or to the Python app (E2E_PYTHON_ORIGIN): next-auth's
  // default refuses an absolute callbackUrl on another origin.
  async redirect({ url, baseUrl }) {
    const python = process.env.E2E_PYTHON_ORIGIN;
    if (url.startsWith("/")) return `${baseUrl}${url}`;
    try {
      const origin = new URL(url).origin;
      if (origin === baseUrl || (python && origin === python)) return url;
    } catch {}
    return baseUrl;
  },
};

// The database strategy's sign-in: an email provider whose "mail" is a JSON line appended to
// E2E_MAGIC_LINKS, which the tests read.
const magicLinks = {
  id: "email",
  type: "email",
  name: "Email",
  maxAge: 600,
  async sendVerificationRequest({ identifier, url }) {
    appendFileSync(process.env.E2E_MAGIC_LINKS, `${JSON.stringify({ identifier, url })}\n`);
  },
};

// The database strategy, when the tests set E2E_DATABASE_URL: @auth/pg-adapter on that PostgreSQL,
// sign-in by magic link. Each app passes its own adapter and pg modules: they must resolve from
// that app's node_modules, which this shared directory has none of.
function databaseOptions(PostgresAdapter, pg) {
  const connectionString = process.env.E2E_DATABASE_URL;
  if (!connectionString) return null;
  return {
    adapter: PostgresAdapter(new pg.Pool({ connectionString, max: 4 })),
    session: { strategy: "database" },
    providers: [magicLinks],
  };
}

module.exports = { authorize, callbacks, credentials, databaseOptions };

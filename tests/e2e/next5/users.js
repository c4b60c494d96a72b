// The fixed users of the end-to-end tests (password "pw" for all). `big` carries a claim large
// enough for next-auth to chunk its session cookie into .0, .1, ...
const BIG_CLAIM = Array.from({ length: 700 }, (_, i) => `fact-${i}`).join(" ");

const USERS = {
  ada: { id: "1", name: "Ada Lovelace", email: "ada@example.com", role: "admin" },
  bob: { id: "2", name: "Bob Builder", email: "bob@example.com", role: "user" },
  big: { id: "3", name: "Big Claims", email: "big@example.com", role: "user", bio: BIG_CLAIM },
};

function checkUser(credentials) {
  const user = USERS[credentials?.username];
  return user && credentials?.password === "pw" ? user : null;
}

// Sign-in may return to this app or to the Python app (E2E_PYTHON_ORIGIN): an absolute
// callbackUrl on another origin is refused by next-auth's default `redirect` callback.
function allowedRedirect(url, baseUrl) {
  const python = process.env.E2E_PYTHON_ORIGIN;
  if (url.startsWith("/")) return `${baseUrl}${url}`;
  try {
    const origin = new URL(url).origin;
    if (origin === baseUrl || (python && origin === python)) return url;
  } catch {}
  return baseUrl;
}

module.exports = { USERS, checkUser, allowedRedirect };

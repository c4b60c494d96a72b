// Calls the Python app's JSON API from the browser with the session cookie (CORS with
// credentials), and shows what it answered.
import { useEffect, useState } from "react";

export function getServerSideProps() {
  return { props: { python: process.env.E2E_PYTHON_ORIGIN || "" } };
}

export default function Home({ python }) {
  const [result, setResult] = useState("calling...");
  useEffect(() => {
    fetch(`${python}/api/me`, { credentials: "include" })
      .then(async (response) => setResult(`${response.status} ${await response.text()}`))
      .catch((error) => setResult(`failed: ${error}`));
  }, [python]);
  return (
    <main>
      <h1>Next.js with next-auth 4</h1>
      <p>
        <a href="/api/auth/signin">Sign in</a> · <a href="/api/auth/signout">Sign out</a>
      </p>
      <pre id="api-result">{result}</pre>
    </main>
  );
}

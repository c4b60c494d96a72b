"use client";
// Calls the Python app's JSON API from the browser with the session cookie (CORS with
// credentials), and shows what it answered.
import { useEffect, useState } from "react";

export default function ApiResult({ python }) {
  const [result, setResult] = useState("calling...");
  useEffect(() => {
    fetch(`${python}/api/me`, { credentials: "include" })
      .then(async (response) => setResult(`${response.status} ${await response.text()}`))
      .catch((error) => setResult(`failed: ${error}`));
  }, [python]);
  return <pre id="api-result">{result}</pre>;
}

import ApiResult from "./api-result";

// Read at request time: the Python app's origin changes from run to run.
export const dynamic = "force-dynamic";

export default function Home() {
  return (
    <main>
      <h1>Next.js with Auth.js 5</h1>
      <p>
        <a href="/api/auth/signin">Sign in</a> · <a href="/api/auth/signout">Sign out</a>
      </p>
      <ApiResult python={process.env.E2E_PYTHON_ORIGIN || ""} />
    </main>
  );
}

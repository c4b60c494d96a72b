export const metadata = { title: "asgi_withauth e2e: Auth.js 5" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}

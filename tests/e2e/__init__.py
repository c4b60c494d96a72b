"""End-to-end tests: real Next.js apps (next-auth 4, Auth.js 5) and the Python app under test,
side by side on 127.0.0.1, driven by a real headless Chromium."""

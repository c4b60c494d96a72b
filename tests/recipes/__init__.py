"""Recipes: WithAuth, the token and get_server_session in real apps of other ASGI frameworks.

One small app per framework (``<framework>_app.py``); ``tests/test_recipes.py`` drives each
in-process with the same checks (``frameworks.py`` adapts them), and README.md shows them.
Real apps read the secret from the environment (``os.environ["NEXTAUTH_SECRET"]``, the
Next.js app's secret); the recipes share this one.
"""

SECRET = "recipe-secret"

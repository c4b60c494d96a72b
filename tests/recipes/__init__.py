"""Recipes: WithAuth, the token and get_server_session in real apps of other ASGI frameworks.

One small app per framework; ``tests/test_recipe_<framework>.py`` drives each in-process and
``docs/recipes.md`` shows them. Real apps read the secret from the environment
(``os.environ["NEXTAUTH_SECRET"]``, the Next.js app's secret); the recipes share this one.
"""

SECRET = "recipe-secret"

"""Layer caching, explained (issue 18): the context manifest, why each step ran, the prediction.

Headless: never imports Textual. The CLI, the app and the tests use it alike.
"""

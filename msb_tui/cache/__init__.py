"""Layer caching, explained: the context manifest, why each step ran, the prediction."""

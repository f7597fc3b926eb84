"""HeyGen's OpenAPI document (bundled, April 2026) and our overlay bringing it to the v3 API of July 2026."""

"""Development tools kept outside the installed package: the code generator, and HeyGen's OpenAPI document with
our v3 overlay (``tools/openapi/``)."""

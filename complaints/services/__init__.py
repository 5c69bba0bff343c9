"""Service functions: keyword-only, typed; they flush and never commit."""

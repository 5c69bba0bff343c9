"""The OpenAPI document names the deployment's own unit and category codes as enums.

They come from settings, so they are added when the document is first built (not at import time);
clients and Schemathesis then know which values are valid.
"""

from __future__ import annotations

from fastapi import FastAPI

UNIT_NAMES = {"unit_code", "unit"}
CATEGORY_NAMES = {"category"}


def _restrict(schema: dict, values: list[str]) -> None:
    """Add `enum` to the string branch of a property schema (plain or `anyOf` with null)."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string" and "enum" not in branch:
            branch["enum"] = values
            branch.pop("maxLength", None)


def _vocab_for(name: str, units: list[str], categories: list[str]) -> list[str] | None:
    if name in UNIT_NAMES:
        return units
    if name in CATEGORY_NAMES:
        return categories
    return None


def restrict_vocabulary(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        settings = app.state.settings
        units, categories = [u.code for u in settings.units], [c.code for c in settings.categories]
        for component in schema.get("components", {}).get("schemas", {}).values():
            for name, prop in component.get("properties", {}).items():
                if (values := _vocab_for(name, units, categories)) is not None:
                    _restrict(prop, values)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and (values := _vocab_for(parameter["name"], units, categories)):
                        _restrict(parameter["schema"], values)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema

"""Pure core: lifecycle rules and time arithmetic, with no web framework or database."""

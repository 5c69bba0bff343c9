#!/usr/bin/env bash
# Extract the translatable strings into complaints/locales/messages.pot, then create or update each
# translated catalog (complaints/locales/<locale>/LC_MESSAGES/messages.po) from it.
#
#   scripts/messages.sh            extract, then update (or init) the catalogs
#   scripts/messages.sh --check    exit 1 if the template or a catalog is out of date (changes nothing)
#
# Message ids are the Chinese strings themselves; only the translations live in the catalogs.
# After running, translate every new or `#, fuzzy` entry (tests/test_i18n.py fails until you do).
# Output is stable: no line numbers, sorted, unwrapped, and the template's POT-Creation-Date only
# changes when the messages themselves change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LOCALES_DIR=complaints/locales
POT="$LOCALES_DIR/messages.pot"
LOCALES=(${MESSAGE_LOCALES:-en ug})

if [[ -n "${PYBABEL:-}" ]]; then :
elif [[ -x .venv/bin/pybabel ]]; then PYBABEL=.venv/bin/pybabel
elif [[ -x /work/venv/bin/pybabel ]]; then PYBABEL=/work/venv/bin/pybabel
else PYBABEL=pybabel
fi

CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Keywords: _ / gettext / ngettext in Python and Jinja, N_ marks strings translated later.
"$PYBABEL" -q extract -F babel.cfg \
    -k _ -k gettext -k N_ -k ngettext:1,2 \
    --no-location --sort-output --no-wrap \
    --project=complaints --copyright-holder="complaints contributors" \
    -o "$tmp/messages.pot" .

strip_date() { grep -v '^"POT-Creation-Date: ' "$1"; }
if [[ -f "$POT" ]] && diff -q <(strip_date "$POT") <(strip_date "$tmp/messages.pot") >/dev/null; then
    pot_changed=0
else
    pot_changed=1
fi

if (( CHECK )); then
    status=0
    (( pot_changed )) && { echo "$POT is out of date: run scripts/messages.sh" >&2; status=1; }
    for locale in "${LOCALES[@]}"; do
        po="$LOCALES_DIR/$locale/LC_MESSAGES/messages.po"
        if [[ ! -f "$po" ]]; then echo "$po is missing" >&2; status=1; continue; fi
        "$PYBABEL" -q update --check -i "$tmp/messages.pot" -d "$LOCALES_DIR" -l "$locale" \
            --no-wrap --ignore-obsolete --ignore-pot-creation-date || status=1
    done
    exit $status
fi

if (( pot_changed )); then
    cp "$tmp/messages.pot" "$POT"
fi

for locale in "${LOCALES[@]}"; do
    po="$LOCALES_DIR/$locale/LC_MESSAGES/messages.po"
    if [[ -f "$po" ]]; then
        "$PYBABEL" -q update -i "$POT" -d "$LOCALES_DIR" -l "$locale" \
            --no-wrap --ignore-obsolete --ignore-pot-creation-date
    else
        "$PYBABEL" -q init -i "$POT" -d "$LOCALES_DIR" -l "$locale" --no-wrap
    fi
done

total=$(grep -c '^msgid "[^"]' "$POT" || true)
echo "$POT: $total messages"
for locale in "${LOCALES[@]}"; do
    po="$LOCALES_DIR/$locale/LC_MESSAGES/messages.po"
    fuzzy=$(grep -c '^#, .*fuzzy' "$po" || true)
    # an untranslated entry: msgstr "" not followed by a continuation line (the header is one of them)
    empty=$(awk '/^msgstr(\[[0-9]+\])? ""$/ {getline nxt; if (nxt !~ /^"/) n++} END {print n+0}' "$po")
    echo "$po: $empty untranslated, $fuzzy fuzzy"
done

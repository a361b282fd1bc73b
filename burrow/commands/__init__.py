"""The `burrow` command's subcommands, one module per group; `burrow/cli.py` puts them together. Each module
adds its subcommands with `add_parsers` and imports Django only inside its handlers, as the settings are
loaded after the arguments are parsed. The two helpers every group uses are here."""

import sys


def fail(message: str) -> int:
    print(f"burrow: {message}", file=sys.stderr)
    return 2


def parse_uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None

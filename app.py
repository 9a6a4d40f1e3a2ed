#!/usr/bin/env python3
"""Start the web chat.

    python app.py [--host H] [--port N] [--corpus DIR] [--index DIR]

Binds 127.0.0.1:7860 by default (GRADIO_SERVER_PORT and the ASSISTANT_* variables are honoured).
Any address other than loopback needs ASSISTANT_AUTH=user:password or ASSISTANT_AUTH_FILE.
Exit codes: 0 stopped normally, 1 the assistant could not start, 2 usage error (e.g. no auth).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="The assistant's web chat.")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; others need auth)")
    parser.add_argument("--port", type=int, help="port (default 7860, or GRADIO_SERVER_PORT)")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default corpus/, or ASSISTANT_CORPUS)")
    parser.add_argument("--index", type=Path, help="index folder (default index/, or ASSISTANT_INDEX)")
    args = parser.parse_args(argv)

    from assistant.config import Settings
    from assistant.errors import AssistantError, UsageError

    try:
        settings = Settings.from_env(corpus=args.corpus, index=args.index, host=args.host, port=args.port)
        from assistant.web.app import serve

        serve(settings)
    except (UsageError, ValueError) as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the port is taken
        print(f"app.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""serve_stack.py — start a test Stack for the browser tests and keep it up until stdin closes.

Prints one JSON line {"port": ..., "dir": ..., "db": ..., "mock_port": ...} once everything answers.
Options: --daemon (also start valuerankd), --import-examples (import examples/definitions).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SRCDIR, Stack  # noqa: E402


def main():
    daemon = "--daemon" in sys.argv
    stack = Stack(mock=True, daemon=daemon, workers=2)
    try:
        stack.start()
        if "--import-examples" in sys.argv:
            examples = os.path.join(SRCDIR, "examples", "definitions")
            files = sorted(os.path.join(examples, f) for f in os.listdir(examples) if f.endswith(".json"))
            help_text = stack.cli("--help").stdout
            if "definition import" in help_text and files:
                stack.cli("definition", "import", "--tenant", "demo", *files)
        print(json.dumps({"port": stack.port, "dir": stack.dir, "db": stack.db_path,
                          "mock_port": stack.mock_port}), flush=True)
        sys.stdin.read()
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

"""Start the real Countersign service with a fake Slack for the TypeScript tests (run with the repo's venv).

Prints one JSON line {"api", "page", "token"} once everything listens, then runs until stdin closes (the test
process ending closes it), so no server outlives the tests. People decide through the sandbox page's API
(POST {page}/api/click and /api/submit), which sends real, signed Slack requests to the service.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

from bot.logs import configure
from bot.sandbox import Sandbox, SandboxConfig

POLICIES = Path(__file__).parent / "policies"


def main() -> None:
    configure("WARNING", "console")
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="countersign-ts-") as data:
        config = SandboxConfig(data_dir=Path(data), policies_dir=POLICIES, page_port=0, api_port=0, demo=False)
        with Sandbox(config) as box:
            print(json.dumps({"api": box.api_url, "page": box.page_url, "token": box.agent_token}), flush=True)
            sys.stdin.read()  # returns at EOF: the test runner exited or closed the pipe


if __name__ == "__main__":
    main()

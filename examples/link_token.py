"""Get a link token from the emulator and write link.local.yaml (link.yaml with the token filled in).

In real life the customer creates the link token in their Confluent Cloud organization and gives it to
you. The emulator hands one out for any of its organizations through an admin route, which needs the
emulator's API key and secret (HTTP basic: $CONFLUENT_CLOUD_API_KEY/SECRET when set, else its defaults):
    POST $EMULATOR_URL/_emulator/link-tokens {"organization_id": "..."} -> {"token": "..."}

    python3 link_token.py [ORGANIZATION_ID]      (default: the emulator's first organization)

Standard library only. The token is a secret: it is written to link.local.yaml and printed nowhere.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def credentials() -> str:
    """HTTP basic for the emulator: the key and secret it was started with (the same variables)."""
    key = os.environ.get("CONFLUENT_CLOUD_API_KEY") or "emulator-key"
    secret = os.environ.get("CONFLUENT_CLOUD_API_SECRET") or "emulator-secret"
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def call(url: str, body: dict[str, str] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": credentials()}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def main() -> int:
    emulator = os.environ.get("EMULATOR_URL")
    if not emulator:
        print("set EMULATOR_URL to the emulator's address, e.g. http://127.0.0.1:8080", file=sys.stderr)
        return 2
    if len(sys.argv) > 1:
        organization_id = sys.argv[1]
    else:
        organizations = call(f"{emulator}/_emulator/state")["organizations"]
        if not organizations:
            print("the emulator has no organization yet: run one_customer.iql first", file=sys.stderr)
            return 1
        organization_id = organizations[0]["id"]
    token = call(f"{emulator}/_emulator/link-tokens", {"organization_id": organization_id})["token"]
    text = (HERE / "link.yaml").read_text(encoding="utf-8").replace("PASTE-LINK-TOKEN-HERE", token)
    (Path.cwd() / "link.local.yaml").write_text(text, encoding="utf-8")
    print(f"link.local.yaml: a link token for organization {organization_id}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

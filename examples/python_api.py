"""The Python API: sign a customer up, then activate it, with errors handled by kind.

    EMULATOR_URL=http://127.0.0.1:8080 python3 python_api.py    # against a running emulator
    python3 python_api.py                                       # the built-in emulator, state in ./signups.db

`connect()` returns a session; `execute(sql, vars)` runs the statements and returns their rows as a list of
dicts, or raises one of the `stackql_signups.Error` subclasses. Against Confluent Cloud, leave out
`endpoint` and set CONFLUENT_CLOUD_API_KEY / CONFLUENT_CLOUD_API_SECRET.
"""

from __future__ import annotations

import os
import sys
import uuid
from urllib.parse import urlsplit

import stackql_signups
from stackql_signups import ApiError, NetworkError, ParseError, ValidationError

SIGNUP = """
EXEC /*+ AS customer */ confluent.partner.signups.signup
@@json='{
  "organization": {
    "name": "{{ name }}",
    "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "{{ tenant_id }}"}
  },
  "entitlement": {
    "external_id": "{{ external_id }}",
    "name": "{{ name }} production",
    "plan_id": "confluent-cloud-payg-prod",
    "product_id": "confluent-cloud-kafka-service-azure"
  }
}';
"""

# A later execute() call on the same session can use the row of the EXEC labelled `customer`.
ACTIVATE = """
EXEC confluent.partner.signups.activate_signup
@organization_id=customer.organization_id
@@json='{
  "user": {"email": "{{ email }}", "given_name": "{{ given_name }}", "family_name": "{{ family_name }}"}
}';
"""


def open_session() -> stackql_signups.Session:
    url = os.environ.get("EMULATOR_URL")
    if url:
        return stackql_signups.connect(endpoint=url)
    return stackql_signups.connect(endpoint="local", state=os.environ.get("SIGNUPS_STATE", "signups.db"))


def main() -> int:
    customer = {
        "name": "Wayne Enterprises",
        "tenant_id": "d1841596-7203-44c5-f678-b9c0d1e2f3a4",
        "external_id": f"wayne-{uuid.uuid4().hex[:12]}",  # unique, so the example can run again
        "email": "lucius.fox@wayne.example",
        "given_name": "Lucius",
        "family_name": "Fox",
    }
    with open_session() as session:
        methods = session.execute("SHOW METHODS IN confluent.partner.signups;")
        print("methods:", ", ".join(row["MethodName"] for row in methods))

        # What would be sent, with secrets masked; nothing is sent.
        [planned] = session.plan(SIGNUP.replace("/*+ AS customer */ ", ""), customer)
        path = urlsplit(planned["url"]).path
        print("planned:", planned["method"], path, "with", ", ".join(planned["body"]))

        [signed_up] = session.execute(SIGNUP, customer)
        print("signed up:", signed_up["organization_id"], signed_up["sso_url"])

        [activated] = session.execute(ACTIVATE, customer)
        print("activated:", activated["organization_id"], "-", activated["display_message"])

        try:  # the signup is complete now: the API answers 409 Conflict
            session.execute(ACTIVATE, customer)
        except ApiError as exc:
            print(f"ApiError {exc.status} {exc.code}: {exc.detail} (request id {exc.request_id})")

        try:  # checked against the method's schema before anything is sent
            session.execute(
                "EXEC confluent.partner.signups.signup"
                """ @@json='{"organization": {"name": "Wayne"}, "entitlement": {"name": "x"}}';"""
            )
        except ValidationError as exc:
            print(f"ValidationError: {exc.message}")
            for violation in exc.violations:
                print("  -", violation)

        try:
            session.execute("EXEC confluent.partner.signups.signup @@json=;")
        except ParseError as exc:
            print(f"ParseError: {exc.message} ({exc.location.describe() if exc.location else ''})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NetworkError as exc:
        print(exc, file=sys.stderr)  # e.g. EMULATOR_URL points at nothing
        sys.exit(1)

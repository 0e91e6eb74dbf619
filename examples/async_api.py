"""The asyncio API: sign several customers up at once, then activate each one.

    EMULATOR_URL=http://127.0.0.1:8080 python3 async_api.py    # against a running emulator
    python3 async_api.py                                       # the built-in emulator, state in ./signups.db

`connect_async()` returns a session whose `await execute(sql, vars)` returns rows, like `connect()`.
Here each signup's organization_id is handed to the activation as an ordinary variable.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import stackql_signups

SIGNUP = """
EXEC confluent.partner.signups.signup
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

ACTIVATE = """
EXEC confluent.partner.signups.activate_signup
@organization_id='{{ organization_id }}'
@@json='{
  "user": {"email": "{{ email }}", "given_name": "{{ given_name }}", "family_name": "{{ family_name }}"}
}';
"""

RUN = uuid.uuid4().hex[:8]  # unique external ids, so the example can run again
CUSTOMERS = [
    {"name": "Stark Industries", "given_name": "Pepper", "family_name": "Potts"},
    {"name": "Cyberdyne", "given_name": "Miles", "family_name": "Dyson"},
    {"name": "Tyrell", "given_name": "Eldon", "family_name": "Tyrell"},
]


def open_session() -> stackql_signups.AsyncSession:
    url = os.environ.get("EMULATOR_URL")
    if url:
        return stackql_signups.connect_async(endpoint=url)
    return stackql_signups.connect_async(
        endpoint="local", state=os.environ.get("SIGNUPS_STATE", "signups.db")
    )


async def onboard(session: stackql_signups.AsyncSession, number: int, customer: dict[str, str]) -> str:
    slug = customer["name"].split()[0].lower()
    data = {
        **customer,
        "tenant_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{slug}.example")),
        "external_id": f"{slug}-{RUN}-{number}",
        "email": f"{customer['given_name'].lower()}@{slug}.example",
    }
    [signed_up] = await session.execute(SIGNUP, data)
    [activated] = await session.execute(ACTIVATE, {**data, "organization_id": signed_up["organization_id"]})
    return f"{customer['name']}: {activated['organization_id']} {activated['sso_url']}"


async def main() -> int:
    async with open_session() as session:
        results = await asyncio.gather(
            *(onboard(session, n, c) for n, c in enumerate(CUSTOMERS, 1)), return_exceptions=True
        )
    failed = 0
    for result in results:
        if isinstance(result, stackql_signups.Error):
            failed += 1
            print(f"failed: {result}", file=sys.stderr)
        elif isinstance(result, BaseException):
            raise result
        else:
            print(result)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

# %% [markdown]
# # Onboarding a Confluent Cloud customer from a notebook, with pystackql
#
# pystackql runs a `stackql` executable for every query. `pip install stackql-signups` puts one beside the
# Python interpreter; `StackQL(download_dir=...)` pointed at that folder uses it (and never downloads the
# real StackQL binary). The endpoint comes from `STACKQL_SIGNUPS_ENDPOINT`: an emulator's URL, `local` (an
# emulator inside each call, its state in your data folder), or unset for Confluent Cloud itself (then
# set CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET).
#
# Run it as a script (`python onboarding_notebook.py`) or cell by cell (`# %%`) in Jupyter or VS Code.

# %%
import json
import os
import sys

from pystackql import StackQL

BIN = os.path.dirname(sys.executable)  # the virtual environment's bin/, where pip put `stackql`
if not os.path.isfile(os.path.join(BIN, "stackql")):
    sys.exit(f"no stackql in {BIN}: pip install stackql-signups into this environment first")
os.environ.setdefault("STACKQL_SIGNUPS_ENDPOINT", "local")
# Re-running the notebook must not fail on the customer it created the first time: a 409 for the same
# entitlement external_id then answers with the existing organization instead.
os.environ.setdefault("STACKQL_SIGNUPS_ON_CONFLICT", "existing")

stackql = StackQL(download_dir=BIN)
print(f"stackql {stackql.version} ({stackql.sha}) at {stackql.bin_path}")

# %% [markdown]
# ## What the resource offers

# %%
for method in stackql.execute("SHOW METHODS IN confluent.partner.signups"):
    print(f"{method['MethodName']:<24} requires {method['RequiredParams']}")

# %% [markdown]
# ## Sign the customer up, with its first user
#
# `execute()` returns the response row. pystackql hides errors unless `suppress_errors=False`: with it,
# a failure comes back as `[{"error": "..."}]`.

# %%
customer = {
    "organization": {
        "name": "Notebook Corp",
        "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "6a1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"},
    },
    "entitlement": {
        "external_id": "notebook-corp-0001",
        "name": "Notebook Corp production",
        "plan_id": "confluent-cloud-payg-prod",
        "product_id": "confluent-cloud-kafka-service-azure",
    },
    "user": {"email": "ada@notebook.example", "given_name": "Ada", "family_name": "Lovelace"},
}
# Inside @@json='...' a quote is written twice, as in any SQL string (a customer named O'Brien).
body = json.dumps(customer).replace("'", "''")
[row] = stackql.execute(
    f"EXEC confluent.partner.signups.signup @@json='{body}'",
    suppress_errors=False,
)
if "error" in row:
    sys.exit(row["error"])
print("organization:", row["organization_id"])
print("SSO URL:     ", row["sso_url"])

# %% [markdown]
# ## Mistakes are errors, and nothing is sent
#
# A body that breaks the API's schema is refused before any request; `executeStmt()` reports it too.

# %%
[refused] = stackql.execute(
    """EXEC confluent.partner.signups.signup
       @@json='{"organization": {"name": "No SSO"}, "entitlement": {"external_id": "no-sso-1"}}'""",
    suppress_errors=False,
)
print(refused["error"].splitlines()[0])

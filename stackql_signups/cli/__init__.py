"""The `stackql-signups` command line."""

"""SELECT and INSERT over API resources: plan the requests, fetch the pages, run the SQL in SQLite."""

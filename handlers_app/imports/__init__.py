"""Importing handlers from a CSV file (or a JSON export), in the order it happens:

- `reading`: read an uploaded file and check every row against the type registry (no request
  to the service, no database);
- `problems`: what is wrong with a row, kept as a code and said in the reader's language;
- `jobs`: keep the checked rows as a job of handlers_app.batches waiting for confirmation,
  start it, stop it, list it;
- `task`: the job kind that creates one row's handler (the runner in handlers_app.batches sends
  the rows slice by slice, within the request budget).
"""

"""Importing handlers from a CSV file, in the order it happens:

- `reading`: read an uploaded file and check every row against the type registry (no request
  to the service, no database);
- `problems`: what is wrong with a row, kept as a code and said in the reader's language;
- `jobs`: keep the checked rows as a job waiting for confirmation, start it, stop it, list it;
- `task`: the background task that creates the handlers, slice by slice, within the request
  budget;
- `ending`: how a job ends (by the task, a person or housekeeping) and when it counts as stalled;
- `housekeeping`: throw away old previews and give up stalled jobs
  (`manage.py imports_housekeeping`).
"""

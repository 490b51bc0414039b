"""The change journal: who changed what through the dashboard, and what it was before.

Services call the `record_*` functions after a write has succeeded, so a failed call leaves no
entry. A diff names each field that changed; a secret (an API key, every handler setting except
an e-mail address, every setting of a type the dashboard does not know) appears in it only as
changed, never with a value. The handler as the service had it before a change or deletion is
kept whole, secrets included, in a snapshot encrypted by `crypto`: that is what a restore sends
back.

Callers import from the module that does the job:
- `recording`: the `record_*` functions and the encrypted snapshots;
- `diff`: what changed, field by field, and how a page or the CSV file shows it;
- `restoring`: one restore from an entry at a time;
- `queries`: the entries a page shows, a handler's history, the latest change and test;
- `export`: the journal as a CSV file.
"""

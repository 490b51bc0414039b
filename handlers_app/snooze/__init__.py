"""Snooze: a handler switched off until a moment, and back on by itself.

A snooze switches the handler off at once, through `services.handler_set_enabled` (journalled
with who and until when), and keeps a `Snooze` row. At its moment the background worker switches
it back on: a task deferred to that moment (`service.snooze_wake`, on the database task backend
`make run` starts workers for), and, should that task be lost (a backend that cannot defer, a
worker that died), the housekeeping loop beside the workers wakes every snooze due
(`service.snoozes_wake_due`). Both claim the row before they write, so a snooze is woken once.

When Soclook refuses (its rate limit, a fault), the wake is tried again later, the next try
waiting for the request budget to refill; after MAX_TRIES refusals it gives up, and says so. A
person who switched the handler on or off by hand meanwhile, here or in Soclook, wins: the
snooze ends without a request.

- `state`: the rows and the moments (no requests; `services` calls it);
- `service`: starting, ending now, and waking, which write to Soclook.
"""

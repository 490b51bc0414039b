"""Test sends: the dashboard itself sends a short test message to a handler's destination.

Soclook has no test endpoint, so the message goes straight from here to the destination, with
the settings typed in a form or stored in Soclook. The parts:

- `destinations`: per way of delivery (declared for each type in the registry,
  `HandlerType.test_delivery`), the request to send and how to read the destination's answer.
  Every request goes through the outbound guard (`handlers_app.outbound`) under the test-send
  policy: e-mail alone goes through the dashboard's own mail settings instead.
- `outcomes`: what came of a test, in plain words in the reader's language; what the journal
  keeps of it (never a secret, never the destination's own text).
- `limits`: one test per handler every 10 s and 30 per person an hour, counted in the cache.
- `service`: `handler_test_send()`, which puts these together and records the test.
"""

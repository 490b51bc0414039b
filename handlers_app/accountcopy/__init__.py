"""A stored copy of a large account: see handlers_app.accountcopy.store."""

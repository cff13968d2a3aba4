"""Persistence: the schema, sessions, migrations and the account-name index.

* :mod:`bot.store.db` -- :class:`~bot.store.db.Database`: engine and sessions from a URL.
* :mod:`bot.store.tables` -- the declarative models; :mod:`bot.store.enums` their value sets.
* :mod:`bot.store.migrate` -- run the Alembic migrations in ``migrations/``.
* :mod:`bot.store.search` -- candidate accounts for what someone typed.
* :mod:`bot.store.errors` -- the exceptions callers catch.

Nothing here connects or creates an engine at import time.
"""

"""The hub's embedded state: SQLite database, migrations, blobs, repositories."""

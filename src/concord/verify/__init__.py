"""Checking Concord's records without trusting its server: an export against its own log (``concord verify``), a
vote receipt against a signed checkpoint, and a witness that each new checkpoint extends the last. Nothing
here opens a database: it reads files and what a server shows, and replays the log with the same engine."""

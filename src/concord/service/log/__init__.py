"""The tamper-evident logs: appending entries with every change in the same transaction, reading them back with
their proofs, and the logs as files beside exports and public records."""

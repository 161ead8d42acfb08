"""A log as files beside an export: ``log.jsonl`` (one entry per line, exactly as hashed, each line
ending in a newline) and ``checkpoint.txt`` (the signed checkpoint of exactly those entries). Named
here once, for the server that writes them and ``concord verify`` that reads them."""

LOG_FILE = "log.jsonl"
CHECKPOINT_FILE = "checkpoint.txt"

"""The use cases. Importing the package registers :mod:`.log_changes`, so that no session of Concord's
can change a logged row without appending its log entry."""

from concord.service import log_changes  # noqa: F401  (registers the after-flush hook)

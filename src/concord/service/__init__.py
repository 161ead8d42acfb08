"""The use cases, by domain. Importing the package registers :mod:`.log.changes`, so that no session of
Concord's can change a logged row without appending its log entry."""

from concord.service.log import changes  # noqa: F401  (registers the after-flush hook)

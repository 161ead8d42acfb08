"""The one error type for bad input files: its message is shown to the user as it is."""


class InputFileError(ValueError):
    """A file or folder that cannot be read as what it claims to be; the message names file and line."""

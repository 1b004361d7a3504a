"""The one exception type for bad input: its message names the file and the problem."""


class DataError(ValueError):
    """Input that cannot be used as given (bad file, wrong shape, missing record, corrupt model).

    The message always names the file (or record) and says what is wrong with it, in one line.
    """

"""The package's exceptions: one for bad input, whose message names the file and the problem, and one for a
detector used before it learned anything."""


class DataError(ValueError):
    """Input that cannot be used as given (bad file, wrong shape, missing record, corrupt model).

    The message always names the file (or record) and says what is wrong with it, in one line.
    """


class NotFittedError(RuntimeError, AttributeError):
    """A detector asked to score, predict or save before :meth:`fit` (or ``load``): every detector raises this one
    (scikit-learn's ``check_is_fitted`` raises its own, an AttributeError too)."""

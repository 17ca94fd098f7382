"""The two ways reading a data set can fail: nothing found, or something found that cannot be read."""


class DataNotFoundError(FileNotFoundError):
    """No copy of the data set where resnet_lab looked (the message says where, and how to get one)."""


class DataFormatError(ValueError):
    """A copy was found but cannot be read: a corrupt or truncated archive, a bad image, the wrong layout."""

class ParseError(ValueError):
    """A page that cannot be parsed (malformed, or not the kind of page expected)."""


class NotALawPage(ParseError):
    """A page with no article markers: a JavaScript shell, an error page, an empty body.

    It counts as a failed fetch: it is never parsed into the database and never replaces
    good stored text.
    """

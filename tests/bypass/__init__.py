"""The bypass table: curated request shapes, each with its expected outcome and the reason.

``cases.py`` holds the table (``CASES``, cross-site writes included), ``model.py`` the row's
shape, ``credentials.py`` the sessions and the tricks, ``client.py`` sends a row byte for
byte, ``verdict.py`` judges a reply. The apps are the path matrix's (``tests/matrix``): five
frameworks, each behind the same ``WithAuth``.
"""

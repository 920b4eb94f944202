"""The app's routers, one module per audience: ``api`` (prediction), ``health``
(operators) and ``pages`` (people with a browser)."""

"""Reading the request: headers, session cookies, paths and the URLs built from them."""

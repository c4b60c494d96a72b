"""The session-token codec behind :mod:`asgi_withauth.jwt` (private: import from there).

``types`` (formats, secrets, limits), ``compact`` (base64url, the five segments, the JOSE
header), ``keys`` (secrets, HKDF, ``kid`` thumbprints, decryption with one key),
``claims`` (the payload and its checks), ``codec`` (:class:`TokenCodec`).
"""

"""The Admin API side: the client and its throttle, sync, and the stand-in server.

Replay never imports this package, and only this package imports httpx.
"""

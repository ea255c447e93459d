from servicekit import cheap_hashes, client

__all__ = ["cheap_hashes", "client"]

from servicekit import cheap_hashes

__all__ = ["cheap_hashes"]

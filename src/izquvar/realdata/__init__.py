"""Converters from public real-world data sets to izquvar's feed formats, for validation on real data."""
